from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from common.integers import MAX_ASCII_INT, parse_ascii_int


def _positive_int(request, param: str) -> int | None:
    raw = request.query_params.get(param)
    if raw is None:
        return None
    try:
        value = parse_ascii_int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ValidationError({param: [_("Must be a whole number of at least 1.")]})
    return value


class StrictPageNumberPagination(PageNumberPagination):
    """Page-number pagination; ``page_size`` above 100 is capped, a bad page or size is a 400."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request) -> int:
        size = _positive_int(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"].update(minimum=1, maximum=MAX_ASCII_INT)
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Results per page: default {self.page_size}, at most {self.max_page_size}."
                )
        return parameters

    def get_paginated_response_schema(self, schema):
        response_schema = super().get_paginated_response_schema(schema)
        # DRF's examples name api.example.org/accounts/; show this API's own addresses instead.
        for link, page in (("next", 4), ("previous", 2)):
            response_schema["properties"][link]["example"] = (
                f"http://127.0.0.1:8000/api/movies/?{self.page_query_param}={page}"
            )
        return response_schema

    def get_page_number(self, request, paginator):
        if request.query_params.get(self.page_query_param) not in self.last_page_strings:
            _positive_int(request, self.page_query_param)
        return super().get_page_number(request, paginator)
