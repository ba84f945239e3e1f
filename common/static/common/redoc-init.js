// Starts Redoc from a file of this server, not an inline script (the page's Content-Security-
// Policy allows none): the schema's address and Redoc's labels, in the page's language, come
// from the container's data attributes (common/templates/docs/redoc.html).
(function () {
  "use strict";
  var container = document.getElementById("redoc-container");
  var options = { labels: JSON.parse(container.dataset.labels) };
  Redoc.init(container.dataset.specUrl, options, container);
})();
