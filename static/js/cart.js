// Cart enhancements. Every form works without this file (post, redirect, flash);
// with it, adding to the cart and changing quantities happen in place through the
// JSON cart API, and the header count and cart page follow.
(function () {
  "use strict";
  const tokenMeta = document.querySelector('meta[name="csrf-token"]');
  const csrfToken = tokenMeta ? tokenMeta.content : "";

  function say(messages, isError) {
    const region = document.querySelector("[data-cart-status]");
    if (!region) return;
    region.innerHTML = "";
    messages.filter(Boolean).forEach(function (text) {
      const p = document.createElement("p");
      p.className = "flash " + (isError ? "flash-error" : "flash-success");
      p.textContent = text;
      region.appendChild(p);
    });
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken, Accept: "application/json" },
      body: JSON.stringify(body),
    });
    const data = await response.json().catch(function () { return {}; });
    if (!response.ok) throw new Error(data.description || data.message || "Something went wrong.");
    return data;
  }

  async function refreshCount() {
    const response = await fetch("/cart.js", { credentials: "same-origin" });
    const cart = await response.json();
    document.querySelectorAll("[data-cart-count]").forEach(function (el) {
      el.textContent = String(cart.item_count);
    });
    return cart;
  }

  async function refreshCartPage() {
    const current = document.querySelector("[data-cart-page]");
    if (!current) return;
    const response = await fetch("/cart", { credentials: "same-origin" });
    const html = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = html.querySelector("[data-cart-page]");
    if (fresh) current.replaceWith(fresh);
  }

  document.addEventListener("submit", async function (event) {
    const form = event.target;
    const isAdd = form.matches("[data-add-to-cart]");
    const isChange = form.matches("[data-change-line]");
    if (!isAdd && !isChange) return;
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      let notices;
      if (isAdd) {
        const item = await postJSON("/cart/add.js", {
          id: data.get("id"),
          quantity: data.get("quantity") || 1,
          // Article cards name their article, so the sale is credited to it.
          source_article: data.get("source_article") || undefined,
        });
        notices = ["Added " + item.product_title + " to your cart."];
        (item.notices || []).forEach(function (n) { notices.push(n.message); });
      } else {
        const cart = await postJSON("/cart/change.js", {
          id: data.get("key"),
          quantity: data.get("quantity"),
        });
        notices = ["Cart updated."];
        (cart.notices || []).forEach(function (n) { notices.push(n.message); });
      }
      await refreshCount();
      await refreshCartPage();
      say(notices, false);
    } catch (error) {
      say([error.message], true);
    } finally {
      if (button && document.contains(button)) button.disabled = false;
    }
  });
})();
