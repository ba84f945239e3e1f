"""Swagger UI's settings, as the JavaScript object literal drf-spectacular passes to SwaggerUI().

A string rather than a dict because some settings are functions:

- after "Log in" or "Refresh" is executed in the page, the access token in the response
  authorizes the page, so padlocked operations work next without a trip to the Authorize dialog
  (which still takes a pasted token); after "Log out" (or out everywhere) the page forgets it;
- the authorization lives as long as the browser tab: a copy follows the page's state in
  ``sessionStorage`` (so a reload keeps it), never in ``localStorage`` (which Swagger UI's own
  ``persistAuthorization`` uses, and which outlives the tab and the logout).

``ui`` is the SwaggerUI instance drf-spectacular's start-up script creates. The script is served
as a file (SpectacularSwaggerSplitView), so the page needs no inline script under its CSP.
"""

SWAGGER_UI_SETTINGS = """{
  deepLinking: true,
  persistAuthorization: false,
  onComplete: () => {
    const kept = sessionStorage.getItem("movies-api-authorized");
    if (kept) {
      ui.authActions.authorize(JSON.parse(kept));
    }
    // Whatever authorizes the page or logs it out (the dialog, a login, a logout), the tab's
    // copy follows.
    ui.getStore().subscribe(() => {
      const authorized = ui.authSelectors.authorized().toJS();
      if (Object.keys(authorized).length) {
        sessionStorage.setItem("movies-api-authorized", JSON.stringify(authorized));
      } else {
        sessionStorage.removeItem("movies-api-authorized");
      }
    });
  },
  responseInterceptor: (response) => {
    const path = new URL(response.url, document.baseURI).pathname;
    const token = response.ok && response.body && response.body.access_token;
    if (/^\\/api\\/auth\\/(login|refresh)\\/?$/.test(path) && typeof token === "string") {
      ui.preauthorizeApiKey("bearerAuth", token);
    }
    if (/^\\/api\\/auth\\/logout(\\/all)?\\/?$/.test(path) && response.status === 204) {
      ui.authActions.logout(["bearerAuth"]);
    }
    return response;
  },
}"""
