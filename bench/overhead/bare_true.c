/* bare_true.c: the baseline process: does nothing, linked -static so its
** start-up is only exec itself. */
int main(void) { return 0; }
