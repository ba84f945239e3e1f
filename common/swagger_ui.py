"""Swagger UI's settings, as the JavaScript object literal drf-spectacular passes to SwaggerUI().

A string rather than a dict because one setting is a function: after "Log in" or "Refresh" is
executed in the page, the access token in the response authorizes the page, so padlocked
operations work next without a trip to the Authorize dialog (which still takes a pasted token).
``ui`` is the SwaggerUI instance drf-spectacular's start-up script creates. The script is served
as a file (SpectacularSwaggerSplitView), so the page needs no inline script under its CSP.
"""

SWAGGER_UI_SETTINGS = """{
  deepLinking: true,
  persistAuthorization: true,
  responseInterceptor: (response) => {
    const path = new URL(response.url, document.baseURI).pathname;
    const token = response.ok && response.body && response.body.access_token;
    if (/^\\/api\\/auth\\/(login|refresh)\\/?$/.test(path) && typeof token === "string") {
      ui.preauthorizeApiKey("bearerAuth", token);
      ui.authActions.persistAuthorizationIfNeeded();  // kept across reloads, like Authorize
    }
    return response;
  },
}"""
