/* placeholder */
#include "vigilctl.h"
int vigilctl_policy_main (int argc, char **argv) { return 2; }
