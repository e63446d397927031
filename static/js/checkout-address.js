// Checkout address enhancement. Without this file, picking a country and pressing
// "Show the address form for this country" posts the form and the page comes back
// with that country's fields, everything typed kept. With it, the fields switch in
// place as soon as the country changes: what was typed in a field both countries
// have is kept, focus stays on the country, and the change is announced.
(function () {
  "use strict";
  const choice = document.querySelector("[data-address-fields-url]");
  const country = choice && choice.querySelector("select");
  if (!country) return;
  const update = choice.querySelector("[data-country-update]");
  const status = document.querySelector("[data-address-status]");
  if (update) update.hidden = true;

  function typedValues(container) {
    const values = {};
    container.querySelectorAll("input, select").forEach(function (input) {
      if (input.name && input.value) values[input.name] = input.value;
    });
    return values;
  }

  country.addEventListener("change", async function () {
    const current = document.getElementById("address-fields");
    if (!current) return;
    const query = new URLSearchParams(typedValues(current));
    query.set("country", country.value);
    let response;
    try {
      response = await fetch(choice.dataset.addressFieldsUrl + "?" + query.toString(), {
        credentials: "same-origin",
        headers: { Accept: "text/html" },
      });
    } catch (error) {
      response = null;
    }
    if (!response || !response.ok) {
      if (update) update.hidden = false; // the no-script way still works
      return;
    }
    const holder = document.createElement("div");
    holder.innerHTML = await response.text();
    const fresh = holder.querySelector("#address-fields");
    if (!fresh) return;
    current.replaceWith(fresh);
    if (status) {
      const name = country.options[country.selectedIndex].text;
      status.textContent = "The address form now asks for an address in " + name + ".";
    }
  });
})();
