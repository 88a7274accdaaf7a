// Code cells are collapsible (myst-nb's hide-input); those tagged book-open start open.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".tag_book-open details.hide.above-input").forEach((d) => {
    d.open = true;
  });
});
