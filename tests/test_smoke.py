def test_ping_answers_pong(client):
    response = client.get("/v1/ping")
    assert response.text == "pong"
    assert response.headers["access-control-allow-origin"] == "*"


def test_added_title_is_found_by_prefix(site):
    assert site.add("https://a.example/1", "Python testing").status_code == 201
    assert site.urls("pyth te") == ["https://a.example/1"]
