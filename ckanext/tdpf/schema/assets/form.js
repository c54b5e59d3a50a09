/* Show the dataset form's conditional fields only when they apply (price only for paid
   data, conditions only for shared data). The rules come from the schema. */
(function () {
  "use strict";
  var rules = document.getElementById("tdpf-show-when");
  if (!rules) { return; }
  rules = JSON.parse(rules.textContent || "{}");
  var form = rules && document.getElementById("tdpf-show-when").closest("form");
  if (!form) { return; }

  function currentValue(name) {
    var inputs = form.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if ((input.type === "radio" || input.type === "checkbox") && !input.checked) { continue; }
      return input.value;
    }
    return "";
  }

  function container(name) {
    var input = form.querySelector('[name="' + name + '"]');
    return input && (input.closest(".form-group") || input.closest(".control-group"));
  }

  function update() {
    Object.keys(rules).forEach(function (field) {
      var box = container(field);
      if (!box) { return; }
      var conditions = rules[field];
      var applies = Object.keys(conditions).some(function (other) {
        return currentValue(other) === conditions[other];
      });
      box.hidden = !applies;
      box.setAttribute("data-tdpf-applies", applies ? "true" : "false");
    });
  }

  form.addEventListener("change", update);
  update();
})();
