"""WeasyPrint turns on Pillow's global LOAD_TRUNCATED_IMAGES when it is imported (every process that renders
a slip or a report PDF): the upload checks must still refuse truncated images then."""

import weasyprint  # noqa: F401

from tests.hardening.test_uploads import test_images_must_decode_within_the_pixel_limit  # noqa: F401
