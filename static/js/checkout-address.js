// Checkout address enhancement. Without this file, picking a country and pressing
// "Show the address form for this country" posts the form and the page comes back
// with that country's fields, everything typed kept; "Update shipping options for this
// address" does the same for the shipping methods. With it, the fields switch in place
// as soon as the country changes, and the shipping methods and the totals follow the
// country, state and postcode as they change: what was typed is kept, focus stays
// where it was, and each change is announced.
(function () {
  "use strict";
  const choice = document.querySelector("[data-address-fields-url]");
  const country = choice && choice.querySelector("select");
  if (!country) return;
  const form = choice.closest("form");
  const update = choice.querySelector("[data-country-update]");
  const status = document.querySelector("[data-address-status]");
  if (update) update.hidden = true;

  function hideShippingButton() {
    const button = document.querySelector("[data-shipping-update]");
    if (button) button.hidden = true;
  }
  hideShippingButton();

  function announce(text) {
    if (status) status.textContent = text;
  }

  function typedValues(container) {
    const values = {};
    container.querySelectorAll("input, select").forEach(function (input) {
      if (input.name && input.value) values[input.name] = input.value;
    });
    return values;
  }

  async function fetchHtml(url) {
    try {
      const response = await fetch(url, {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
      if (!response.ok || response.status === 204) return null;
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      return holder;
    } catch (error) {
      return null;
    }
  }

  // Each refresh takes a number; an answer that arrives after a newer request was
  // sent is dropped, so a slow reply never puts back options already replaced.
  let latestShipping = 0;
  let latestCountry = 0;

  async function refreshShipping(before) {
    before = before || "";
    const ticket = ++latestShipping;
    const fields = document.getElementById("address-fields");
    const options = document.getElementById("shipping-options");
    if (!fields || !options) return;
    const query = new URLSearchParams(typedValues(fields));
    query.set("country", country.value);
    const chosen = form.querySelector("input[name=shipping_method]:checked");
    if (chosen) query.set("shipping_method", chosen.value);
    const holder = await fetchHtml(choice.dataset.shippingOptionsUrl + "?" + query.toString());
    if (ticket !== latestShipping) return;
    const freshOptions = holder && holder.querySelector("#shipping-options");
    const freshTotals = holder && holder.querySelector("#order-totals");
    if (!freshOptions) {
      const button = document.querySelector("[data-shipping-update]");
      if (button) button.hidden = false; // the no-script way still works
      return;
    }
    const focused = document.activeElement && document.activeElement.id;
    const focusWasInside = options.contains(document.activeElement);
    options.replaceWith(freshOptions);
    const totals = document.getElementById("order-totals");
    if (totals && freshTotals) totals.replaceWith(freshTotals);
    hideShippingButton();
    if (focused && freshOptions.querySelector("#" + CSS.escape(focused))) {
      document.getElementById(focused).focus();
    } else if (focusWasInside) {
      // The method that had focus is not offered here: focus the one now chosen.
      const checked = freshOptions.querySelector("input[name=shipping_method]:checked");
      if (checked) {
        checked.focus();
      } else {
        freshOptions.tabIndex = -1;
        freshOptions.focus();
      }
    }
    const problem = freshOptions.querySelector("#shipping-problem");
    const count = freshOptions.querySelectorAll("input[name=shipping_method]").length;
    const total = document.querySelector("[data-order-total]");
    if (problem) {
      announce(before + problem.textContent);
    } else {
      announce(
        before +
          count + (count === 1 ? " shipping method" : " shipping methods") +
          " for this address." + (total ? " Order total " + total.textContent + "." : "")
      );
    }
  }

  country.addEventListener("change", async function () {
    const current = document.getElementById("address-fields");
    if (!current) return;
    const query = new URLSearchParams(typedValues(current));
    query.set("country", country.value);
    const ticket = ++latestCountry;
    const holder = await fetchHtml(choice.dataset.addressFieldsUrl + "?" + query.toString());
    if (ticket !== latestCountry) return;
    const fresh = holder && holder.querySelector("#address-fields");
    if (!fresh) {
      if (update) update.hidden = false; // the no-script way still works
      return;
    }
    current.replaceWith(fresh);
    const name = country.options[country.selectedIndex].text;
    announce("The address form now asks for an address in " + name + ".");
    refreshShipping("The address form now asks for an address in " + name + ". ");
  });

  form.addEventListener("change", function (event) {
    const name = event.target.name;
    if (name === "country_area" || name === "postal_code" || name === "shipping_method") {
      refreshShipping();
    }
  });
})();
