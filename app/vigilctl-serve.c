/* placeholder: being written */
#include "vigilctl.h"
int vigilctl_serve_main (int argc, char **argv) { return 2; }
