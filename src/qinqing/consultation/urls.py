from django.urls import URLPattern, URLResolver, path

from . import views

app_name = "consultation"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.survey_list, name="list"),
    path("new/", views.survey_create, name="create"),
    path("from-template/", views.survey_from_template, name="from_template"),
    path("<int:survey_id>/", views.survey_detail, name="detail"),
    path("<int:survey_id>/sections/", views.section_add, name="section_add"),
    path("<int:survey_id>/questions/", views.question_add, name="question_add"),
    path("questions/<int:question_id>/delete/", views.question_delete, name="question_delete"),
    path("<int:survey_id>/publish/", views.survey_publish, name="publish"),
    path("<int:survey_id>/close/", views.survey_close, name="close"),
    path("<int:survey_id>/answer/", views.survey_answer, name="answer"),
    path("<int:survey_id>/firms/", views.steward_firms, name="steward_firms"),
    path("<int:survey_id>/remind/", views.survey_remind, name="remind"),
    path("<int:survey_id>/results/", views.survey_results, name="results"),
    path("<int:survey_id>/report/", views.survey_report, name="report"),
    path("<int:survey_id>/texts/<int:question_id>/", views.text_answers, name="texts"),
    path("<int:survey_id>/export/", views.survey_export, name="export"),
]
