/* placeholder: the command line comes with the foundation issue */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "xlat: not implemented yet\n");
    return 1;
}
