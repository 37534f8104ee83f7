def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_register_and_profile(client, auth):
    response = client.get(f"/profile/{auth.user['id']}", headers=auth.headers)
    assert response.status_code == 200
    assert response.get_json()["name"] == "Dana"
