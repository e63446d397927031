// Product page enhancements. Without JavaScript every variant shows its own price and
// stock in its label and the form posts the chosen one; this only keeps the headline
// price, stock, SKU, picture and address in step with the choice.
(function () {
  "use strict";
  const form = document.querySelector("[data-add-to-cart]");
  if (!form) return;

  function showVariant(input) {
    const price = document.querySelector("[data-price-amount]");
    const compareAt = document.querySelector("[data-compare-at-display]");
    const compareAtAmount = document.querySelector("[data-compare-at-amount]");
    const stock = document.querySelector("[data-stock-display]");
    const sku = document.querySelector("[data-sku-display]");
    if (price) price.textContent = input.dataset.price;
    if (compareAt && compareAtAmount) {
      compareAt.hidden = !input.dataset.compareAt;
      compareAtAmount.textContent = input.dataset.compareAt;
    }
    if (stock) stock.textContent = input.dataset.stock;
    if (sku) sku.textContent = input.dataset.sku;
    const slide = document.querySelector('.gallery-slide[data-variant-id="' + input.value + '"]');
    if (slide) {
      const track = slide.parentElement;
      track.scrollTo({ left: slide.offsetLeft - track.offsetLeft });
    }
    const url = new URL(window.location.href);
    url.searchParams.set("variant", input.value);
    window.history.replaceState(null, "", url);
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches('input[type="radio"][name="id"]')) showVariant(event.target);
  });
})();
