/* cli/commands.h — the subcommand table: CMD(name, function, one-line help). */
CMD(version, cmd_version, "print the version")
CMD(loss, cmd_loss, "the mixing-weight DDPM loss, excess, gradient, Hessian on a grid of w (CSV)")
CMD(gd, cmd_gd, "gradient descent on the mixing weight, one CSV row per iterate")
CMD(fit, cmd_fit, "DDPM and maximum-likelihood estimates of the mixing weight from n samples")
CMD(check, cmd_check, "run every claim of the theory as a numerical check with a verdict")
CMD(train, cmd_train, "train the score network on one data set, write a checkpoint")
CMD(sample, cmd_sample, "generate samples from a trained network (DDPM or DDIM), CSV")
CMD(kid, cmd_kid, "kernel inception distance between two sample files")
