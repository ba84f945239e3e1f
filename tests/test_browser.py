"""End to end in a real browser: Debian's Chromium driven by Playwright against a live server."""

import json
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from movies.services import sample_catalog_load
from tests.helpers import PASSWORD, access_token_for

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("CI must install Chromium (apt-get install -y chromium)")
        pytest.skip("Chromium is not installed here; .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API runs an event loop in this thread; the ORM calls in these tests
        # are still plain synchronous code, so Django's async-safety guard does not apply. Both
        # last only as long as this module's tests.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Requests that reached the network: finished, or failed there. One the page's own Content
    # Security Policy blocked never left the browser.
    page.requested_urls = []
    page.on("requestfinished", lambda request: page.requested_urls.append(request.url))
    page.on(
        "requestfailed",
        lambda request: request.failure == "csp" or page.requested_urls.append(request.url),
    )
    yield page
    context.close()


def assert_no_request_left(page, live_server) -> None:
    server = urlsplit(live_server.url).netloc
    foreign = [
        url
        for url in page.requested_urls
        if not url.startswith(("data:", "blob:")) and urlsplit(url).netloc != server
    ]
    assert page.requested_urls
    assert foreign == []


def run_operation(page, operation_id: str, body: dict | None = None) -> tuple[str, str]:
    """Open an operation in Swagger UI, try it out, execute it; return (status, response body)."""
    block = page.locator(f"[id$='-{operation_id}']")
    if not block.locator(".opblock-body").count():
        block.locator(".opblock-summary").first.click()
    try_out = block.locator("button.try-out__btn")
    if try_out.inner_text().strip() == "Try it out":
        try_out.click()
    if body is not None:
        block.locator("textarea.body-param__text").fill(json.dumps(body))
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for()
    text = block.locator(".live-responses-table .response-col_description pre").first
    return status.inner_text().strip(), text.inner_text()


def stored_bearer_token(page) -> str | None:
    """The token the page keeps for the tab (sessionStorage); never one in localStorage."""
    assert page.evaluate("() => localStorage.getItem('authorized')") is None
    authorized = page.evaluate("() => sessionStorage.getItem('movies-api-authorized')")
    return json.loads(authorized)["bearerAuth"]["value"] if authorized else None


def test_swagger_ui_log_in_then_list_movies_without_authorize(page, live_server, admin_user):
    sample_catalog_load()
    page.goto("/api/docs/")
    page.get_by_text("Movie catalog API").first.wait_for()
    assert_no_request_left(page, live_server)

    status, body = run_operation(
        page, "auth_login", {"email": admin_user.email, "password": PASSWORD}
    )
    assert status == "200"
    pair = json.loads(body)
    # No trip to the Authorize dialog: the login response authorized the page.
    status, body = run_operation(page, "movies_list")
    assert status == "200"
    assert "Avatar" in body
    assert stored_bearer_token(page) == pair["access_token"]

    status, body = run_operation(page, "auth_refresh", {"refresh_token": pair["refresh_token"]})
    assert status == "200"
    renewed = json.loads(body)["access_token"]
    assert stored_bearer_token(page) == renewed
    page.reload()
    page.get_by_text("Movie catalog API").first.wait_for()
    status, body = run_operation(page, "auth_me")
    assert status == "200", "the authorization did not persist across a reload"
    assert admin_user.email in body
    assert renewed not in page.url

    # Log out in the page: the session ends, and the page forgets the token.
    status, _ = run_operation(page, "auth_logout")
    assert status == "204"
    assert stored_bearer_token(page) is None
    status, _ = run_operation(page, "auth_me")
    assert status == "401"
    page.reload()
    page.get_by_text("Movie catalog API").first.wait_for()
    assert stored_bearer_token(page) is None


def test_swagger_ui_authorize_dialog_takes_a_pasted_token(
    page, live_server, admin_user, screenshots
):
    sample_catalog_load()
    page.goto("/api/docs/")
    page.get_by_text("Movie catalog API").first.wait_for()
    page.locator("button.btn.authorize").first.click()
    modal = page.locator(".modal-ux")
    modal.locator("input").first.fill(access_token_for(admin_user))
    modal.locator("button.authorize").click()
    modal.locator("button.btn-done").click()

    status, body = run_operation(page, "movies_list")
    assert status == "200"
    assert "Avatar" in body
    page.screenshot(path=screenshots / "swagger-list-movies.png", full_page=True)
    # The create example is not in the sample catalog: "Try it out" as it comes creates it.
    status, body = run_operation(page, "movies_create")
    assert status == "201", body
    assert json.loads(body)["title"] == "Paprika"


@pytest.mark.parametrize(
    ("path", "ready"),
    [("/api/docs/", "text=Movie catalog API"), ("/api/redoc/", "h2 >> text=Log in")],
)
def test_docs_pages_send_a_content_security_policy_they_keep(page, live_server, path, ready):
    violations = []
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and violations.append(message.text)
        ),
    )
    response = page.goto(path)
    policy = response.headers["content-security-policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"
    page.locator(ready).first.wait_for()
    if path == "/api/docs/":
        run_operation(page, "auth_login", {"email": "x@example.com", "password": "y"})
    # Redoc's footer always asks its vendor's CDN for a logo; the policy refuses it on purpose
    # (assets stay local). Nothing else may be refused.
    assert [v for v in violations if "https://cdn.redoc.ly/redoc/logo-mini.svg" not in v] == []
    assert_no_request_left(page, live_server)


@pytest.mark.parametrize(
    ("query", "summaries", "labels"),
    [
        ("", ("Log in", "List movies", "Health check"), ("Responses", "Response samples")),
        (
            "?lang=es",
            ("Iniciar sesión", "Listar películas", "Estado del servicio"),
            ("Respuestas", "Ejemplos de respuesta"),
        ),
    ],
    ids=["english", "spanish"],
)
def test_redoc_renders_the_operations_and_its_labels_in_the_pages_language(
    page, live_server, screenshots, query, summaries, labels
):
    page.goto(f"/api/redoc/{query}")
    for summary in summaries:
        page.locator("h2", has_text=summary).first.wait_for()
    for label in labels:
        page.get_by_text(label, exact=True).first.wait_for()
    page.screenshot(path=screenshots / f"redoc{query.replace('?lang=', '-')}.png")
    assert_no_request_left(page, live_server)


def test_admin_adds_a_movie_that_the_api_then_finds(page, live_server, admin_user, screenshots):
    page.goto("/admin/")
    page.fill("#id_username", admin_user.email.upper())
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_text("Movie catalog").first.wait_for()

    page.goto("/admin/movies/movie/add/")
    page.fill("#id_title", "Cinema Paradiso")
    page.fill("#id_overview", "A filmmaker remembers the village cinema of his childhood.")
    page.fill("#id_year", "1988")
    page.fill("#id_rating", "8.5")
    page.fill("#id_category", "Drama")
    page.click("input[name=_save]")
    page.get_by_text("was added successfully").wait_for()
    page.screenshot(path=screenshots / "admin-movie-added.png")

    token = access_token_for(admin_user)
    response = page.request.get(
        "/api/movies/?search=paradiso", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status == 200
    results = response.json()["results"]
    assert [(m["title"], m["year"], m["rating"]) for m in results] == [
        ("Cinema Paradiso", 1988, 8.5)
    ]


def test_root_and_view_site_lead_to_the_docs_and_swagger_speaks_spanish(
    page, live_server, admin_user, screenshots
):
    page.goto("/")
    page.get_by_text("Movie catalog API").first.wait_for()
    assert urlsplit(page.url).path == "/api/docs/"
    favicon = page.request.get("/favicon.ico")
    assert favicon.status == 200
    assert favicon.body().startswith(b"\x00\x00\x01\x00")

    page.goto("/admin/")
    page.fill("#id_username", admin_user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_role("link", name="View site").click()
    page.get_by_text("Movie catalog API").first.wait_for()
    assert urlsplit(page.url).path == "/api/docs/"

    page.goto("/api/docs/?lang=es")
    page.get_by_text("Gestione un catálogo de películas.").first.wait_for()
    page.get_by_text("El catálogo de películas (solo administradores).").first.wait_for()
    page.screenshot(path=screenshots / "swagger-spanish.png")
    assert_no_request_left(page, live_server)


def admin_log_in(page, user) -> None:
    page.goto("/admin/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.get_by_text("Movie catalog").first.wait_for()


def test_two_admins_saving_one_movie_the_second_sees_the_first_ones_change(
    browser, live_server, admin_user, make_movie, screenshots
):
    movie = make_movie(title="Solaris", year=1972, rating="8.0", category="Ciencia ficción")
    pages = []
    for _ in range(2):  # two admins, two browsers' worth of cookies
        context = browser.new_context(base_url=live_server.url)
        pages.append(context.new_page())
        pages[-1].set_default_timeout(15_000)
    first, second = pages
    for page in pages:
        admin_log_in(page, admin_user)
        page.goto(f"/admin/movies/movie/{movie.pk}/change/")
    first.fill("#id_overview", "First admin's overview")
    first.click("input[name=_save]")
    first.get_by_text("was changed successfully").wait_for()

    second.fill("#id_rating", "9.9")
    second.click("input[name=_save]")
    second.get_by_text("Someone saved this movie after you opened it").wait_for()
    second.screenshot(path=screenshots / "admin-conflict.png")
    assert "First admin's overview" in second.content()  # theirs, shown
    assert second.input_value("#id_rating") == "9.9"  # mine, kept in the form
    movie.refresh_from_db()
    assert (movie.overview, str(movie.rating)) == ("First admin's overview", "8.0")

    second.click("input[name=_save]")  # having seen theirs: mine now
    second.get_by_text("was changed successfully").wait_for()
    movie.refresh_from_db()
    assert str(movie.rating) == "9.9"
    for page in pages:
        page.context.close()


def test_the_admin_pages_send_a_content_security_policy_they_keep(
    page, live_server, admin_user, make_movie
):
    movie = make_movie(title="Stalker", year=1979)
    refused = []
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and refused.append(message.text),
    )
    response = page.goto("/admin/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "form-action 'self'" in policy
    admin_log_in(page, admin_user)
    for path in (
        "/admin/",
        "/admin/movies/movie/",
        f"/admin/movies/movie/{movie.pk}/change/",
        f"/admin/movies/movie/{movie.pk}/history/",
        "/admin/movies/historicalmovie/",
        "/admin/password_change/",
    ):
        response = page.goto(path)
        assert response.status == 200, path
        assert response.headers["content-security-policy"] == policy
    page.goto(f"/admin/movies/movie/{movie.pk}/change/")
    page.fill("#id_rating", "8.2")
    page.click("input[name=_save]")
    page.get_by_text("was changed successfully").wait_for()
    assert refused == []


def _admin_texts(browser, live_server, language, user, paths) -> dict[str, set[str]]:
    """Each admin page's visible lines, for a browser set to ``language``; the login page's
    after a failed attempt, to read its error."""
    context = browser.new_context(base_url=live_server.url, locale=language)
    page = context.new_page()
    page.set_default_timeout(15_000)
    texts = {}
    page.goto("/admin/login/")
    page.fill("#id_username", user.email)
    page.fill("#id_password", "not the password")
    page.click("input[type=submit]")
    page.locator(".errornote").wait_for()
    texts["/admin/login/"] = set(page.inner_text("body").splitlines())
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.locator("#site-name").wait_for()
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, path
        texts[path] = set(page.inner_text("body").splitlines())
    context.close()
    return texts


def test_the_admin_in_spanish_shows_no_english(browser, live_server, regular_user):
    sample_catalog_load()
    from accounts.models import LoginSession, User
    from movies.models import Movie
    from tests.helpers import login_pair

    owner = User.objects.create_superuser("owner@example.com", PASSWORD)  # sees every page

    login_pair(regular_user)
    session = LoginSession.objects.get(user=regular_user)
    movie = Movie.objects.order_by("pk").first()
    paths = [
        "/admin/",
        "/admin/accounts/",
        "/admin/accounts/user/",
        f"/admin/accounts/user/{regular_user.pk}/change/",
        "/admin/accounts/user/add/",
        "/admin/accounts/loginsession/",
        f"/admin/accounts/loginsession/{session.pk}/change/",
        "/admin/movies/",
        "/admin/movies/movie/",
        "/admin/movies/movie/add/",
        f"/admin/movies/movie/{movie.pk}/change/",
        f"/admin/movies/movie/{movie.pk}/history/",
        "/admin/movies/historicalmovie/",
        "/admin/password_change/",
    ]
    english = _admin_texts(browser, live_server, "en-US", owner, paths)
    spanish = _admin_texts(browser, live_server, "es-ES", owner, paths)
    # What is data, the same in every language: the catalog, the users, numbers and dates.
    data = {owner.email, regular_user.email, "Django", str(session), str(session.pk)}
    for film in Movie.objects.all():
        data |= {str(film), film.title, film.category, film.overview, str(film.year)}
    untranslated = {}
    for path, lines in spanish.items():
        same = {
            line.strip()
            for line in lines & english[path]
            if re.search(r"[A-Za-z]{3}", line) and line.strip() not in data
        }
        if same:
            untranslated[path] = sorted(same)
    assert untranslated == {}
    # The login error, in the project's words ("introduzca el dirección…" was Django's).
    assert any(
        "Introduzca una dirección de correo electrónico y una contraseña correctas" in line
        for line in spanish["/admin/login/"]
    )
