"""With ``Accept-Language: es`` every message is Spanish: DRF's, Django's and the project's own.

English stays the default, and the ``WWW-Authenticate`` challenge, written for machines, stays
English (printable ASCII, as RFC 6750 requires) while the body of the same 401 is Spanish.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from tests.helpers import access_token_for, bearer_client, run_manage

SPANISH = {"HTTP_ACCEPT_LANGUAGE": "es"}
MOVIES = "/api/movies/"


def spanish(client: APIClient) -> APIClient:
    client.defaults.update(SPANISH)
    return client


@pytest.mark.django_db
def test_a_validation_error_is_spanish_and_english_stays_the_default(admin_client):
    response = spanish(admin_client).post(MOVIES, {}, format="json")
    assert response.status_code == 400
    assert response.json()["title"] == ["Este campo es obligatorio."]
    assert response["Content-Language"] == "es"

    admin_client.defaults.pop("HTTP_ACCEPT_LANGUAGE")
    response = admin_client.post(MOVIES, {}, format="json")
    assert response.json()["title"] == ["This field is required."]
    assert response["Content-Language"] == "en"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"title": }', "JSON no válido en la línea 1, columna 11."),
        (b'{\n  "title": "Heat",\n}', "JSON no válido en la línea 3, columna 1."),
        (b'{"title": "\xff"}', "el cuerpo no es texto utf-8."),
        (b'{"rating": NaN}', "un número no es finito o tiene demasiadas cifras."),
        (b'{"year": ' + b"9" * 5000 + b"}", "un número no es finito o tiene demasiadas cifras."),
        (
            b'{"title": "\\ud800"}',
            "una cadena contiene un escape \\ud800-\\udfff sin pareja, que no es texto Unicode.",
        ),
    ],
    ids=["syntax", "syntax-line-3", "not-utf-8", "nan", "5000-digits", "lone-surrogate"],
)
def test_a_body_that_is_not_json_is_a_spanish_400_in_the_projects_words(
    admin_client, body, message
):
    response = spanish(admin_client).post(MOVIES, body, content_type="application/json")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": f"Error de análisis JSON - {message}", "code": "parse_error"},
    )


@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/", "/api/schema/"])
def test_a_method_not_allowed_outside_the_viewsets_is_spanish_too(api_client, path):
    response = spanish(api_client).post(path)
    assert (response.status_code, response.json()) == (
        405,
        {"detail": "Método no permitido.", "code": "method_not_allowed"},
    )


@pytest.mark.django_db
def test_a_language_not_offered_falls_back_to_english(admin_client):
    response = admin_client.post(MOVIES, {}, format="json", HTTP_ACCEPT_LANGUAGE="de, fr;q=0.8")
    assert response.json()["title"] == ["This field is required."]


@pytest.mark.django_db
def test_no_credentials_is_a_spanish_401_with_the_bare_challenge(api_client):
    response = spanish(api_client).get(MOVIES)
    assert response.status_code == 401
    assert response.json() == {
        "detail": "No se han enviado credenciales de autenticación.",
        "code": "not_authenticated",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


@pytest.mark.django_db
def test_an_expired_token_is_the_projects_spanish_message(admin_user):
    start = datetime(2030, 1, 1, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as clock:
        token = access_token_for(admin_user)
        clock.move_to(start + timedelta(days=2))
        response = spanish(bearer_client(token)).get(MOVIES)

    assert response.status_code == 401
    assert response.json() == {"detail": "El token ha caducado.", "code": "token_expired"}
    assert response["WWW-Authenticate"] == (
        'Bearer realm="api", error="invalid_token", error_description="The token has expired."'
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "body", "description"),
    [
        ("Bearer not.a.token", "El token está mal formado.", "The token is malformed."),
        (
            "Bearer  two.spaces",
            "Use la cabecera «Authorization: Bearer <token>».",
            "Use the header 'Authorization: Bearer <token>'.",
        ),
    ],
)
def test_the_challenge_stays_english_while_the_body_is_spanish(
    api_client, authorization, body, description
):
    response = api_client.get(MOVIES, HTTP_AUTHORIZATION=authorization, **SPANISH)
    assert response.status_code == 401
    assert response.json() == {"detail": body, "code": "token_invalid"}
    assert response["WWW-Authenticate"] == (
        f'Bearer realm="api", error="invalid_token", error_description="{description}"'
    )


@pytest.mark.django_db
def test_a_non_admin_token_is_a_spanish_403(regular_user):
    client = spanish(bearer_client(access_token_for(regular_user)))
    response = client.get(MOVIES)
    assert response.status_code == 403
    assert response.json() == {
        "detail": "Solo los administradores pueden hacer esto.",
        "code": "not_admin",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", [f"{MOVIES}999999/", f"{MOVIES}not-an-id/"])
def test_an_unknown_movie_is_a_spanish_404(admin_client, path):
    response = spanish(admin_client).get(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado.", "code": "not_found"}


@pytest.mark.django_db
def test_a_page_past_the_end_is_a_spanish_404(admin_client):
    response = spanish(admin_client).get(f"{MOVIES}?page=9")
    assert response.status_code == 404
    assert response.json() == {"detail": "Página no válida.", "code": "not_found"}


@pytest.mark.django_db
def test_a_method_not_allowed_is_a_spanish_405(admin_client):
    response = spanish(admin_client).put(MOVIES, {}, format="json")
    assert response.status_code == 405
    assert response.json() == {"detail": 'Método "PUT" no permitido.', "code": "method_not_allowed"}


@pytest.mark.django_db
def test_a_throttled_login_is_a_spanish_429(api_client, admin_user):
    spanish(api_client)
    for _attempt in range(50):
        response = api_client.post(
            "/api/auth/login/",
            {"email": admin_user.email, "password": "wrong password"},
            format="json",
            REMOTE_ADDR="10.7.7.7",
        )
        if response.status_code != 401:
            break
    assert response.status_code == 429
    detail = response.json()["detail"]
    assert detail.startswith("Demasiadas peticiones.")
    assert "Vuelva a intentarlo dentro de" in detail
    assert int(response["Retry-After"]) > 0


@pytest.mark.django_db
def test_a_wrong_password_is_the_projects_spanish_message(api_client, admin_user):
    response = spanish(api_client).post(
        "/api/auth/login/",
        {"email": admin_user.email, "password": "wrong password"},
        format="json",
    )
    assert response.status_code == 401
    assert response.json() == {
        "detail": "El correo electrónico o la contraseña son incorrectos.",
        "code": "invalid_credentials",
    }


@pytest.mark.django_db
def test_a_duplicate_title_and_year_is_the_projects_spanish_message(admin_client, make_movie):
    make_movie(title="Amores perros", year=2000)
    response = spanish(admin_client).post(
        MOVIES,
        {"title": "AMORES PERROS", "year": 2000, "rating": 8.1, "category": "Drama"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"title": ["Ya existe una película con este título y este año."]}


@pytest.mark.django_db
def test_a_year_too_far_ahead_is_the_projects_spanish_message(admin_user):
    with time_machine.travel(datetime(2030, 6, 1, tzinfo=UTC), tick=False):
        admin_client = bearer_client(access_token_for(admin_user))
        response = spanish(admin_client).post(
            MOVIES,
            {"title": "Futura", "year": 2041, "rating": 5.0, "category": "Ciencia ficción"},
            format="json",
        )
    assert response.status_code == 400
    assert response.json() == {"year": ["Este valor debe ser menor o igual que 2040."]}


@pytest.mark.django_db
def test_the_django_admin_is_spanish(client, admin_user, make_movie):
    make_movie(title="Roma", year=2018)
    client.force_login(admin_user)
    page = client.get("/admin/", **SPANISH).content.decode()
    assert "Administración de Django" in page
    assert "Catálogo de películas" in page
    assert "Películas" in page

    page = client.get("/admin/movies/movie/", **SPANISH).content.decode()
    assert "Exportar a CSV las películas seleccionadas" in page
    assert "década" in page


@pytest.mark.django_db
def test_the_openapi_schema_is_spanish_with_lang_es(api_client):
    schema = api_client.get("/api/schema/?format=json&lang=es").json()
    assert schema["info"]["description"].startswith("Gestione un catálogo de películas.")
    tags = {tag["name"]: tag["description"] for tag in schema["tags"]}
    assert tags["movies"] == "El catálogo de películas (solo administradores)."
    parameters = {p["name"]: p for p in schema["paths"]["/api/movies/"]["get"]["parameters"]}
    assert parameters["year_min"]["description"] == "Año de estreno mínimo, incluido"
    assert parameters["search"]["description"].startswith("Palabras que buscar en el título")
    year = schema["components"]["schemas"]["Movie"]["properties"]["year"]
    assert year["description"].startswith("Año de estreno, desde 1888")

    english = api_client.get("/api/schema/?format=json").json()
    assert english["tags"][1]["description"] == "The movie catalog (admins only)."
    # Only ?lang= chooses: a client generated from the schema reads the same whoever fetched it.
    for url in ("/api/schema/?format=json", "/api/schema/?format=json&lang=xx"):
        assert api_client.get(url, **SPANISH).json() == english
    assert api_client.get("/api/schema/?format=json&lang=es", HTTP_ACCEPT_LANGUAGE="en").json() == (
        schema
    )


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_the_docs_pages_load_the_spanish_schema_with_lang_es(api_client, page):
    response = api_client.get(f"{page}?lang=es")
    assert response.status_code == 200
    text = response.content.decode()
    # Swagger UI's start-up script is a file of its own (no inline script under the CSP).
    script = re.search(r'<script src="([^"]*script=)"', text)
    if script:
        text = api_client.get(script.group(1).replace("&amp;", "&")).content.decode()
    # The page asks for the schema in Spanish (Swagger UI's script escapes "=" as \u003D).
    assert re.search(r"/api/schema/?\?lang(=|\\u003D)es", text)


def test_the_default_language_comes_from_the_environment_and_both_are_offered():
    script = (
        "from django.conf import settings; from django.test import Client;"
        "r = Client().post('/api/movies/', {});"
        "print(settings.LANGUAGE_CODE, [code for code, _ in settings.LANGUAGES], r.json())"
    )
    env = {"DJANGO_ALLOWED_HOSTS": "testserver", "DJANGO_LANGUAGE_CODE": "es"}
    result = run_manage("shell", "-v", "0", "-c", script, env=env, check=True)
    assert result.stdout.strip() == (
        "es ['en', 'es'] {'detail': 'No se han enviado credenciales de autenticación.', "
        "'code': 'not_authenticated'}"
    )


# What the schema shows a reader: operation and parameter texts, response descriptions, example
# titles, component and field descriptions (a property named "title" is a field, not a text).
SCHEMA_TEXTS = {"summary", "description", "title"}
# Texts that are the same in both languages: a film's title (an example's name).
SAME_IN_BOTH = {"Paprika"}


def _schema_texts(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "value" or (path and path[-1] == "properties"):
                if key != "value":
                    yield from _schema_texts(value, (*path, key))
                continue
            if key in SCHEMA_TEXTS and isinstance(value, str):
                yield (*path, key), value
            else:
                yield from _schema_texts(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _schema_texts(value, (*path, str(index)))


def test_every_text_of_the_spanish_schema_is_spanish(client):
    english = dict(_schema_texts(client.get("/api/schema/?format=json").json()))
    spanish = dict(_schema_texts(client.get("/api/schema/?format=json&lang=es").json()))
    assert english.keys() == spanish.keys()
    assert len(english) > 150  # every operation, parameter, response and field
    untranslated = {
        "/".join(path): text
        for path, text in spanish.items()
        if text.strip() and text == english[path] and text not in SAME_IN_BOTH
    }
    assert untranslated == {}
