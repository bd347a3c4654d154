// Debian's libpng (libpng-dev): its simplified API (png_image_*) decodes and encodes whole images in memory.
#include <png.h>
