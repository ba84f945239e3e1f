from rest_framework.routers import SimpleRouter

from movies.views import MovieViewSet


class OptionalSlashRouter(SimpleRouter):
    """Routes that match with or without the trailing slash (DRF only offers one or the other)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"


router = OptionalSlashRouter()
router.register("movies", MovieViewSet, basename="movie")

urlpatterns = router.urls
