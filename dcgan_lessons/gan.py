"""The game: a Keras model whose ``train_step`` plays one round of it, its conditional variant, the
generator's average, and drawing digits. Every lesson cell about training points here; the run folder
and the training loop around it live in ``runs`` and ``training``.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from .config import PRECISIONS, TrainConfig
from .data import to_uint8
from .losses import discriminator_loss, generator_loss
from .models import (
    build_conditional_discriminator,
    build_conditional_generator,
    build_discriminator,
    build_generator,
)


def train_step(self, real_images):
    """One round of the game: draw noise, make fakes once, score real and fake digits, and update both
    players from that one forward pass (two gradient tapes), as the TensorFlow DCGAN tutorial does."""
    batch_size = tf.shape(real_images)[0]
    noise = keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_images = self.generator(noise, training=True)
        real_prob = self.discriminator(real_images, training=True)
        fake_prob = self.discriminator(fake_images, training=True)
        d_loss = discriminator_loss(real_prob, fake_prob, self.label_smoothing)
        g_loss = generator_loss(fake_prob, self.g_loss_kind)
    d_weights = self.discriminator.trainable_weights
    g_weights = self.generator.trainable_weights
    self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_weights), d_weights, strict=True))
    self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_weights), g_weights, strict=True))

    self.d_loss_tracker.update_state(d_loss)
    self.g_loss_tracker.update_state(g_loss)
    self.d_real_tracker.update_state(keras.ops.mean(real_prob))
    self.d_fake_tracker.update_state(keras.ops.mean(fake_prob))
    return {m.name: m.result() for m in self.metrics}


def conditional_train_step(self, data):
    """The same round with a label: each fake is asked for the digit of the real image beside it, and the
    discriminator judges every image together with its label, so a good 3 drawn when a 5 was asked loses."""
    real_images, labels = data
    batch_size = tf.shape(real_images)[0]
    noise = keras.random.normal((batch_size, self.latent_dim), seed=self.noise_seed)
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake_images = self.generator([noise, labels], training=True)
        real_prob = self.discriminator([real_images, labels], training=True)
        fake_prob = self.discriminator([fake_images, labels], training=True)
        d_loss = discriminator_loss(real_prob, fake_prob, self.label_smoothing)
        g_loss = generator_loss(fake_prob, self.g_loss_kind)
    d_weights = self.discriminator.trainable_weights
    g_weights = self.generator.trainable_weights
    self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_weights), d_weights, strict=True))
    self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_weights), g_weights, strict=True))

    self.d_loss_tracker.update_state(d_loss)
    self.g_loss_tracker.update_state(g_loss)
    self.d_real_tracker.update_state(keras.ops.mean(real_prob))
    self.d_fake_tracker.update_state(keras.ops.mean(fake_prob))
    return {m.name: m.result() for m in self.metrics}


class DCGAN(keras.Model):
    """Generator and discriminator trained together by :func:`train_step`; ``fit`` reports d_loss, g_loss,
    D(x), D(G(z))."""

    train_step = train_step

    def __init__(
        self,
        generator: keras.Model,
        discriminator: keras.Model,
        g_loss: str = "non_saturating",
        label_smoothing: float = 0.0,
        seed: int | None = None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.latent_dim = generator.inputs[0].shape[-1]
        self.g_loss_kind = g_loss
        self.label_smoothing = label_smoothing
        self.noise_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    def call(self, noise, training=False):
        return self.generator(noise, training=training)

    def training_state(self) -> list:
        """Every variable a resumed run needs: both models, both optimizers, the noise seed."""
        return [
            *self.generator.variables,
            *self.discriminator.variables,
            *self.g_optimizer.variables,
            *self.d_optimizer.variables,
            self.noise_seed.state,
        ]


class ConditionalDCGAN(DCGAN):
    """A DCGAN whose batches are (images, labels) and whose players both take the label
    (:func:`conditional_train_step`)."""

    train_step = conditional_train_step


def build_gan(
    config: TrainConfig,
    generator: keras.Model | None = None,
    discriminator: keras.Model | None = None,
    step: Callable | None = None,
) -> DCGAN:
    """The report's two models (or your own), wrapped and compiled with Adam as ``config`` says; with
    ``config.conditional`` both take the label too.

    ``step`` replaces the class's ``train_step`` (a function of ``(self, batch)``): change the game in a
    notebook and train it with everything else as it is."""
    dtype = PRECISIONS[config.precision or "float32"]
    d_options = dict(seed=config.seed, dtype=dtype, input_bn=config.d_input_bn, spectral_norm=config.spectral_norm)
    if config.conditional:
        generator = generator or build_conditional_generator(config.latent_dim, seed=config.seed, dtype=dtype)
        discriminator = discriminator or build_conditional_discriminator(config.conditional, config.alpha, **d_options)
    else:
        generator = generator or build_generator(config.latent_dim, seed=config.seed, dtype=dtype)
        discriminator = discriminator or build_discriminator(config.alpha, **d_options)
    wants = 2 if config.conditional else 1
    for name, model in (("generator", generator), ("discriminator", discriminator)):
        if len(model.inputs) != wants:
            kind = "(z, label) and (image, label)" if config.conditional else "z and an image"
            raise ValueError(
                f"the {name} takes {len(model.inputs)} input(s), but this config's players take {kind}; "
                f"make them agree (conditional={config.conditional!r})"
            )
    if generator.inputs[0].shape[-1] != config.latent_dim:
        raise ValueError(
            f"the generator takes z of size {generator.inputs[0].shape[-1]} but latent_dim is {config.latent_dim}; "
            f"make them agree"
        )
    base = ConditionalDCGAN if config.conditional else DCGAN
    gan_class = base if step is None else type(base.__name__, (base,), {"train_step": step})
    gan = gan_class(
        generator,
        discriminator,
        g_loss=config.g_loss,
        label_smoothing=config.label_smoothing,
        seed=config.seed,
    )
    gan.compile(
        d_optimizer=keras.optimizers.Adam(config.d_lr or config.lr, beta_1=config.beta_1),
        g_optimizer=keras.optimizers.Adam(config.lr, beta_1=config.beta_1),
        jit_compile=bool(config.xla),
    )
    gan.g_optimizer.build(gan.generator.trainable_variables)
    gan.d_optimizer.build(gan.discriminator.trainable_variables)
    return gan


class GeneratorAverage:
    """An exponential moving average of the generator's weights (Yazici et al. 2019), updated after
    every step: a copy of the generator that only reads the game's weights, so the raw run is the same
    with or without it. Batch normalization's running statistics are copied from the raw generator.

    ``debiased``: the average starts from nothing and is divided by ``1 - decay**t`` after ``t`` steps, as
    Adam corrects its moments, so the untrained generator weighs nothing and the average has no start-up
    lag; batch normalization's statistics are averaged like the weights, so the averaged weights draw
    with statistics that belong to them."""

    def __init__(self, generator: keras.Model, decay: float, debiased: bool = False):
        self.model = keras.models.clone_model(generator)
        self.model.set_weights(generator.get_weights())
        self.debiased = debiased
        pairs = list(zip(self.model.weights, generator.weights, strict=True))
        self.sums = [tf.Variable(tf.zeros_like(raw), trainable=False) for raw in generator.weights] if debiased else []
        self.count = tf.Variable(0.0, trainable=False)  # steps averaged so far

        @tf.function
        def update():
            self.count.assign_add(1.0)
            if debiased:
                correction = 1.0 - tf.pow(tf.constant(decay, tf.float32), self.count)
                for total, (average, raw) in zip(self.sums, pairs, strict=True):
                    total.assign(decay * total + (1 - decay) * raw)
                    average.assign(total / tf.cast(correction, total.dtype))
            else:
                for average, raw in pairs:
                    average.assign(decay * average + (1 - decay) * raw if raw.trainable else raw)

        self.update = update

    def state(self) -> list:
        """What a resumed run needs to continue the average exactly: its weights, running sums and step count."""
        return [*self.model.weights, *self.sums, self.count]


def generate_uint8(
    generator: keras.Model, noise: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 256
) -> np.ndarray:
    """The generator's digits for ``noise`` (and, for a conditional generator, the asked ``labels``) in
    inference mode, batch by batch (memory stays bounded)."""
    chunks = []
    for i in range(0, len(noise), batch_size):
        inputs = noise[i : i + batch_size]
        if labels is not None:
            inputs = [inputs, np.asarray(labels[i : i + batch_size], dtype=np.int32)]
        chunks.append(to_uint8(generator(inputs, training=False)))
    return np.concatenate(chunks)
