from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_view, name="password"),
    path("users/", views.user_list, name="user_list"),
    path("users/<int:user_id>/roles/", views.user_roles, name="user_roles"),
    path("roles/<int:assignment_id>/revoke/", views.role_revoke, name="role_revoke"),
]
