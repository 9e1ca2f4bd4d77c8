# SPDX-License-Identifier: MIT
# bash completion for minnow(1): the command, its options and their fixed values.
_minnow()
{
	local cur prev opts
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	if ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "run --help --version" -- "$cur")
		return
	fi
	case $prev in
	-k | --kernel | -i | --initrd | --metrics | --dump-dtb)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return ;;
	--dump-acpi)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return ;;
	--serial) mapfile -t COMPREPLY < <(compgen -W "stdio off file=" -- "$cur"); return ;;
	--log-level)
		mapfile -t COMPREPLY < <(compgen -W "error warn info debug trace" -- "$cur")
		return ;;
	--virtio-strict)
		mapfile -t COMPREPLY < <(compgen -W "off warn reset abort" -- "$cur")
		return ;;
	--seccomp) mapfile -t COMPREPLY < <(compgen -W "on log off" -- "$cur"); return ;;
	--trace)
		mapfile -t COMPREPLY < <(compgen -W "mmio virtq net uring irq all help" -- "$cur")
		return ;;
	--user) mapfile -t COMPREPLY < <(compgen -u -- "$cur"); return ;;
	--net) mapfile -t COMPREPLY < <(compgen -W "tap= fd= fds=" -- "$cur"); return ;;
	-p | --cmdline | --append | -c | --cpus | -m | --mem | --cpuid-mask | --gdb) return ;;
	esac
	opts="-k --kernel -i --initrd -p --cmdline --append -c --cpus -m --mem --serial --net
		--net-verify --rng --cpuid-mask --no-cmdline-devices --print-cmdline --dump-dtb
		--dump-acpi --dry-run --log-level --metrics --trace --virtio-strict --gdb --seccomp
		--user -h --help -V --version"
	mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
}
complete -F _minnow minnow
