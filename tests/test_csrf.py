from __future__ import annotations

import re


def test_form_without_csrf_token_is_refused(make_app, world) -> None:
    app = make_app(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    data = {"email": world.emails["admin"], "password": "correct horse battery"}
    response = client.post("/inloggen", data=data)
    assert response.status_code == 400
    assert "Formulier verlopen" in response.text

    page = client.get("/inloggen").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    response = client.post("/inloggen", data={**data, "csrf_token": token.group(1)})
    assert response.status_code == 302
