def test_healthz_reports_the_database(client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "ok"


def test_the_stylesheet_is_served_without_a_cdn(client, db) -> None:
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b".table-wrap" in b"".join(response.streaming_content)


def test_the_models_and_the_migrations_agree(db) -> None:
    from io import StringIO

    from django.core.management import call_command

    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())
