/* The licence list offers only what the chosen distribution (流通区分) allows: open data an
   open or restricted licence, shared data the TDPF shared (tdpf-shared) or paid
   (tdpf-paid) terms. The server refuses other pairs anyway (tdpf_schema_dataset_rules). */
(function () {
  "use strict";
  var rules = document.getElementById("tdpf-licences-by-distribution");
  var form = rules && rules.closest("form");
  var select = form && form.querySelector("select[data-tdpf-licence-for]");
  if (!select) { return; }
  rules = JSON.parse(rules.textContent || "{}");
  var field = select.getAttribute("data-tdpf-licence-for");
  var chosen = {};  // the licence last chosen for each distribution

  function distribution() {
    var input = form.querySelector('[name="' + field + '"]:checked') ||
                form.querySelector('select[name="' + field + '"]');
    return input ? input.value : "";
  }

  function update() {
    var allowed = rules[distribution()];
    Array.prototype.forEach.call(select.options, function (option) {
      var ok = !allowed || !option.value || allowed.indexOf(option.value) >= 0;
      option.hidden = !ok;
      option.disabled = !ok;
    });
    if (allowed && allowed.indexOf(select.value) < 0) {
      select.value = chosen[distribution()] || allowed[0];
      select.dispatchEvent(new Event("change", {bubbles: true}));
    }
  }

  form.addEventListener("change", function (event) {
    if (event.target === select) {
      chosen[distribution()] = select.value;
    } else if (event.target.name === field) {
      update();
    }
  });
  update();
})();
