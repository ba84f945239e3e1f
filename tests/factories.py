"""factory-boy factories: valid objects from defaults, any field overridable."""

from decimal import Decimal

import factory

from movies.models import Movie


class MovieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Movie

    title = factory.Sequence(lambda number: f"Film {number + 1}")
    overview = ""
    year = 2000
    rating = Decimal("5.0")
    category = "Drama"
