from rest_framework.routers import SimpleRouter

from movies.views import MovieViewSet

router = SimpleRouter(trailing_slash="/?")
router.register("movies", MovieViewSet, basename="movie")

urlpatterns = router.urls
