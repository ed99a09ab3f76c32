/* An outside program using an installed libeuropa: built by tests/packaging/run.sh
 * through pkg-config and through find_package(europa). */
#include <stdio.h>

#include <europa/europa.h>

int main(void)
{
    const char *v = eu_version();

    if (v == NULL || v[0] == '\0') {
        fprintf(stderr, "consumer: eu_version() returned nothing\n");
        return 1;
    }
    printf("%s\n", v);
    return 0;
}
