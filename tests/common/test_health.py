def test_healthz_reports_the_database(client, db) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"]["status"] == "ok"
