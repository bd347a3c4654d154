// Debian's libjpeg-turbo through its TurboJPEG API (libturbojpeg0-dev): errors come back as return codes with a
// message, where libjpeg's classic API would call exit() or need setjmp/longjmp, which Swift cannot use.
#include <stddef.h>
#include <turbojpeg.h>
