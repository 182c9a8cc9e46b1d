def test_login_page_renders_in_chinese(client):
    page = client.get("/auth/login").get_data(as_text=True)
    assert 'name="username"' in page and 'name="password"' in page


def test_login_and_see_own_township(client, login_as, make_township, make_user, make_person):
    township = make_township()
    other = make_township()
    staff = make_user("township_staff", township)
    make_person(township, name="李四")
    make_person(other, name="王五")
    login_as(staff)
    response = client.get(f"/t/{township.code}/persons")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "李四" in page and "王五" not in page
    assert client.get(f"/t/{other.code}/persons").status_code == 404
