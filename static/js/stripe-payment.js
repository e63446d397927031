// Stripe's Payment Element on our own page. The order page, not this script, says
// whether the payment succeeded: it reads the order, which webhooks keep current.
(function () {
  "use strict";
  const form = document.getElementById("stripe-payment-form");
  if (!form || typeof Stripe === "undefined") return;
  const stripe = Stripe(form.dataset.publishableKey);
  const elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
  elements.create("payment").mount("#payment-element");
  const errorBox = form.querySelector("[data-payment-error]");

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const button = form.querySelector('button[type="submit"]');
    button.disabled = true;
    const result = await stripe.confirmPayment({
      elements: elements,
      confirmParams: { return_url: form.dataset.returnUrl },
    });
    // Only reached when the confirmation failed before any redirect.
    if (result.error) errorBox.textContent = result.error.message;
    button.disabled = false;
  });
})();
