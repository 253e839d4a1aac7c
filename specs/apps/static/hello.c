/* A static program: prints its uid and the sum of its arguments' lengths. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t n = 0;
	for (int i = 1; i < argc; i++)
		n += strlen(argv[i]);
	printf("static uid=%d len=%zu\n", (int)getuid(), n);
	return 0;
}
