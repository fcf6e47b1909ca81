def test_home_page_renders_in_chinese(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "这家店承诺诚信经营了吗" in response.get_data(as_text=True)
