// The common-items picker: a tap fills the first empty line (name and unit); without
// JavaScript the names still come from the input's datalist.
(function () {
  "use strict";
  const picker = document.querySelector("[data-shop-picker]");
  if (!picker) return;
  picker.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-name]");
    if (!button) return;
    event.preventDefault();
    const rows = document.querySelectorAll(".shop-row");
    for (const row of rows) {
      const name = row.querySelector('input[name="name"]');
      if (name && !name.value.trim()) {
        name.value = button.dataset.name;
        row.querySelector('input[name="unit"]').value = button.dataset.unit;
        const quantity = row.querySelector('input[name="quantity"]');
        if (!quantity.value) quantity.value = "1";
        quantity.focus();
        return;
      }
    }
  });
})();
