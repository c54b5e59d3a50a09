/* A new dataset's URL name. CKAN's slug script makes a name from a Latin title but nothing
   from a Japanese one, so for a title in Japanese the name is proposed as the server would
   fill it (tdpf_schema_dataset_name): the organization's name and 8 random hex digits,
   e.g. t131083-3f9a2c1b. It shows in CKAN's URL preview, where the user may edit it; once
   they do, it is left alone. */
(function () {
  "use strict";
  var prefixes = document.getElementById("tdpf-name-prefixes");
  var form = prefixes && prefixes.closest("form");
  var title = form && form.querySelector('[name="title"]');
  var name = form && form.querySelector('[name="name"]');
  var org = form && form.querySelector('[name="owner_org"]');
  if (!title || !name) { return; }
  prefixes = JSON.parse(prefixes.textContent || "{}");

  var bytes = new Uint8Array(4);
  window.crypto.getRandomValues(bytes);
  var suffix = Array.prototype.map.call(bytes, function (b) {
    return ("0" + b.toString(16)).slice(-2);
  }).join("");
  var proposed = "";
  var edited = !!name.value;  // a name that is already there (an edit, a form sent back)

  function stopOnUserInput() { edited = true; }
  name.addEventListener("input", stopOnUserInput);
  name.addEventListener("keypress", stopOnUserInput);

  function propose() {
    if (edited) { return; }
    if (!/[^\x00-\x7f]/.test(title.value)) {  // Latin title: CKAN's slug stands
      if (name.value === proposed) { proposed = ""; }
      return;
    }
    var prefix = (org && prefixes[org.value]) || "dataset";
    proposed = prefix.slice(0, 60).replace(/^[-_]+|[-_]+$/g, "") + "-" + suffix;
    if (name.value !== proposed) {
      name.value = proposed;
      name.dispatchEvent(new Event("change", {bubbles: true}));  // updates CKAN's preview
    }
  }

  // After CKAN's own handlers on the same events, which would leave the name empty.
  function later() { window.setTimeout(propose, 0); }
  title.addEventListener("input", later);
  title.addEventListener("keyup", later);
  if (org) { org.addEventListener("change", later); }
  later();
})();
