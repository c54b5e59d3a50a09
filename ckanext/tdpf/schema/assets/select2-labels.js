/* The words select2 (CKAN's tag and organization pickers) gives screen readers: its search
   box's and remove buttons' labels. Its Japanese file lacks them, so it said "Search" and
   "Remove item" on Japanese pages; the page carries them translated (#tdpf-select2-labels)
   and they become select2's defaults, which every picker falls back to. */
(function () {
  "use strict";
  var element = document.getElementById("tdpf-select2-labels");
  if (!element || !window.jQuery || !jQuery.fn.select2) { return; }
  var labels = JSON.parse(element.textContent || "{}");
  var language = {};
  Object.keys(labels).forEach(function (key) {
    language[key] = function () { return labels[key]; };
  });
  jQuery.fn.select2.defaults.set("language", language);
})();
