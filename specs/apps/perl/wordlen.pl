#!/usr/bin/perl
# Counts the words of standard input by length: "1=2 3=1 total=3".
use strict;
use warnings;
use List::Util qw(sum);

my %count;
while (my $line = <STDIN>) {
    $count{ length $_ }++ for grep { length } split /\s+/, $line;
}
print join(' ', map { "$_=$count{$_}" } sort { $a <=> $b } keys %count),
    ' total=', (sum(values %count) // 0), "\n";
