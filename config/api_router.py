"""Every app's viewsets, registered on one router: a new resource adds one line here."""

from common.routers import OptionalSlashRouter
from movies.views import MovieViewSet

router = OptionalSlashRouter()
router.register("movies", MovieViewSet, basename="movie")

urlpatterns = router.urls
