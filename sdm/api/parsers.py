"""The API's JSON parser: DRF's, refusing with a 400 what it would otherwise turn into a 500."""

from __future__ import annotations

import json

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
            # Valid JSON may still hold lone surrogates ("\ud800"), which no text column can store.
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise ParseError(
                "JSON parse error: the body holds escaped characters that are not text."
            ) from None
        except RecursionError:
            raise ParseError("JSON parse error: the body is nested too deeply.") from None
        return data
