import gzip
import shutil

from dcgan_lessons import data
from dcgan_lessons.data import IDX_FILES, MnistError, load_mnist, make_dataset, read_idx

import numpy as np
import pytest


def test_slice_loads_with_shapes_and_labels(mnist_slice_dir):
    m = load_mnist(mnist_slice_dir)
    assert m.train_images.shape == (512, 28, 28) and m.train_images.dtype == np.uint8
    assert m.train_labels.shape == (512,) and m.test_images.shape == (256, 28, 28)
    assert list(m.train_labels[:10]) == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]  # MNIST's famous first digits


@pytest.mark.slow
def test_full_mnist_matches_its_published_facts(full_mnist_dir):
    m = load_mnist(full_mnist_dir)
    assert m.train_images.shape == (60000, 28, 28) and m.test_images.shape == (10000, 28, 28)
    counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(m.train_labels).tolist() == counts
    assert m.train_images.mean() == pytest.approx(33.318, abs=1e-3)


def test_environment_variable_is_used(mnist_slice_dir, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(mnist_slice_dir))
    assert load_mnist().train_images.shape == (512, 28, 28)


def test_uncompressed_files_are_read_too(mnist_slice_dir, tmp_path):
    for stem in IDX_FILES.values():
        (tmp_path / stem).write_bytes(gzip.decompress((mnist_slice_dir / f"{stem}.gz").read_bytes()))
    assert load_mnist(tmp_path).test_labels.shape == (256,)


def test_missing_folder_names_the_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "nope"))
    with pytest.raises(MnistError, match=r"does not exist.*MNIST_DIR"):
        load_mnist()


def test_missing_file_is_named(mnist_slice_dir, tmp_path):
    shutil.copytree(mnist_slice_dir, tmp_path, dirs_exist_ok=True)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(MnistError, match="no file t10k-labels-idx1-ubyte.gz"):
        load_mnist(tmp_path)


def _write_gz(path, payload: bytes):
    with gzip.open(path, "wb") as f:
        f.write(payload)


def test_wrong_magic_number(tmp_path):
    _write_gz(tmp_path / "x.gz", (0x1234).to_bytes(4, "big") + bytes(20))
    with pytest.raises(MnistError, match="wrong magic number 0x00001234"):
        read_idx(tmp_path / "x.gz")


def test_truncated_file(mnist_slice_dir, tmp_path):
    raw = gzip.decompress((mnist_slice_dir / "train-images-idx3-ubyte.gz").read_bytes())
    _write_gz(tmp_path / "cut.gz", raw[:-100])
    with pytest.raises(MnistError, match="truncated"):
        read_idx(tmp_path / "cut.gz")


def test_damaged_gzip_stream(mnist_slice_dir, tmp_path):
    blob = (mnist_slice_dir / "train-images-idx3-ubyte.gz").read_bytes()
    (tmp_path / "bad.gz").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(MnistError, match="damaged"):
        read_idx(tmp_path / "bad.gz")


def test_image_and_label_counts_must_agree(mnist_slice_dir, tmp_path):
    shutil.copytree(mnist_slice_dir, tmp_path, dirs_exist_ok=True)
    labels = read_idx(mnist_slice_dir / "train-labels-idx1-ubyte.gz")[:100]
    _write_gz(
        tmp_path / "train-labels-idx1-ubyte.gz",
        (0x801).to_bytes(4, "big") + (100).to_bytes(4, "big") + labels.tobytes(),
    )
    with pytest.raises(MnistError, match="512 images but 100 labels"):
        load_mnist(tmp_path)


def test_no_folder_and_no_network(monkeypatch):
    import keras

    monkeypatch.delenv("MNIST_DIR", raising=False)

    def offline():
        raise OSError("Temporary failure in name resolution")

    monkeypatch.setattr(keras.datasets.mnist, "load_data", offline)
    with pytest.raises(MnistError, match="could not download MNIST.*Set MNIST_DIR"):
        load_mnist()


def test_scaling_round_trips():
    pixels = np.array([[0, 127, 255]], dtype=np.uint8)
    scaled = data.scale_images(pixels)
    assert scaled.min() == -1.0 and scaled.max() == 1.0 and scaled.dtype == np.float32
    assert (data.to_uint8(scaled) == pixels).all()


def test_pixels_in_any_common_range_become_uint8():
    pixels = np.array([[[0, 127, 255]]], dtype=np.uint8)
    for images in (pixels, data.scale_images(pixels), pixels / 255.0, pixels.astype(np.float64), pixels[..., None]):
        out = data.pixels_to_uint8(images)
        assert out.dtype == np.uint8 and (out == pixels).all(), images
    with pytest.raises(ValueError, match="uint8 pixels or floats"):
        data.pixels_to_uint8(np.array([["a"]]))


def test_dataset_batches_scaled_images_and_drops_the_remainder(mnist_slice_dir):
    images = load_mnist(mnist_slice_dir).train_images[:100]
    batches = list(make_dataset(images, batch_size=32, seed=1, epochs=2))
    assert len(batches) == 6  # 3 full batches per epoch, the last 4 images dropped
    assert all(b.shape == (32, 28, 28, 1) for b in batches)
    first = batches[0].numpy()
    assert first.min() >= -1.0 and first.max() <= 1.0 and first.min() == -1.0


def test_epoch_order_depends_only_on_seed_and_epoch(mnist_slice_dir):
    images = load_mnist(mnist_slice_dir).train_images
    whole = [b.numpy() for b in make_dataset(images, 64, seed=3, epochs=3)]
    resumed = [b.numpy() for b in make_dataset(images, 64, seed=3, epochs=3, first_epoch=2)]
    assert np.array_equal(np.stack(whole[-8:]), np.stack(resumed))
    assert not np.array_equal(whole[0], whole[8])  # epochs are shuffled differently
    other_seed = next(iter(make_dataset(images, 64, seed=4))).numpy()
    assert not np.array_equal(whole[0], other_seed)


def test_subset_and_bad_batch(mnist_slice_dir):
    images = load_mnist(mnist_slice_dir).train_images
    assert len(list(make_dataset(images, 32, subset=64))) == 2
    assert data.steps_per_epoch(60000, 32) == 1875
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        make_dataset(images, 0)
    with pytest.raises(ValueError, match="no full batch"):
        make_dataset(images[:10], 32)
