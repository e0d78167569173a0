/* A program built only from the installed header and library. */
#include <plugsup.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  const char *v = plugsup_version();
  printf("consumer linked against plugsup %s\n", v);
  return strcmp(v, "") == 0;
}
