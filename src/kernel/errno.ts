// include/uapi/asm-generic/errno-base.h and errno.h: the errnos the simulated kernel returns,
// negative as a syscall returns them to user space. The one place they are defined. User-space
// code that reports a positive pthread-style result (robust_user.ts) negates them at the return.
export const EPERM = -1;
export const ESRCH = -3;
export const EINTR = -4;
export const EAGAIN = -11;
export const ENOEXEC = -8;
export const ENOMEM = -12;
export const EFAULT = -14;
export const EBUSY = -16;
export const EINVAL = -22;
export const EDEADLK = -35;
export const ENOSYS = -38;
export const ETIMEDOUT = -110;
export const EOWNERDEAD = -130;
// include/linux/errno.h: kernel-internal restart codes, never seen by user space
export const ERESTARTSYS = -512;
export const ERESTARTNOINTR = -513;
export const ERESTARTNOHAND = -514;
export const ERESTART_RESTARTBLOCK = -516;
