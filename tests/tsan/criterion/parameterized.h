/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The stand-in for <criterion/parameterized.h>: see criterion.h here. */
#ifndef MPATHFS_TSAN_CRITERION_PARAMETERIZED_H
#define MPATHFS_TSAN_CRITERION_PARAMETERIZED_H

#include "criterion.h"

/* the optional cleanup argument is accepted and not called: the process ends */
#define cr_make_param_array(Type, Array, Len, ...) \
	((struct criterion_test_params){ sizeof(Type), (void *)(Array), (Len), NULL })

#define ParameterizedTestParameters(suite, name) \
	static struct criterion_test_params SHIM_ID(params, suite, name)(void)

#define ParameterizedTest(param, suite, name, ...)                                    \
	static struct criterion_test_params SHIM_ID(params, suite, name)(void);       \
	static void SHIM_ID(pfn, suite, name)(param);                                 \
	static void SHIM_ID(pwrap, suite, name)(void *p)                              \
	{                                                                             \
		SHIM_ID(pfn, suite, name)(p);                                         \
	}                                                                             \
	static const struct shim_opts SHIM_ID(opts, suite, name) = { 0, __VA_ARGS__ }; \
	__attribute__((constructor)) static void SHIM_ID(reg, suite, name)(void)       \
	{                                                                             \
		shim_register_test(#suite, #name, NULL, SHIM_ID(pwrap, suite, name),  \
				   SHIM_ID(params, suite, name),                      \
				   &SHIM_ID(opts, suite, name));                      \
	}                                                                             \
	static void SHIM_ID(pfn, suite, name)(param)

#endif
