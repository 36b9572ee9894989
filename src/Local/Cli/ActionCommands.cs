using System.CommandLine;
using Approvals.Core.Actions;

namespace Approvals.Local.Cli;

/// <summary>One command per action of <see cref="ActionCatalog"/> (e.g. <c>approvals-local tap</c>): <c>--user</c>,
/// <c>--reason</c>, the action's own fields as options, and the caller options every API command shares. It asks,
/// waits, prints the seed's lines and, when the action produces one, the secret once.</summary>
internal static class ActionCommands
{
    public static Command For(ActionDescription action, CommandLine.CallerOptions caller, Option<int?> deadline, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(action);
        var user = new Option<string?>("--user") { Description = "The user it is for (the directory's id)." };
        var reason = new Option<string?>("--reason") { Description = "Why (default: $REASON)." };
        var autoApprove = new Option<bool>("--auto-approve") { Description = "With the built-in host: the emulator approves after a few seconds." };
        var fields = action.Fields.Select(f => (Field: f, Option: new Option<int?>("--" + f.Option) { Description = f.Description })).ToList();
        var command = new Command(action.Verb, action.Summary) { user, reason, autoApprove, deadline, caller.Api, caller.Key, caller.As, caller.Token, caller.DataDirectory };
        foreach (var (_, option) in fields)
        {
            command.Add(option);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var who = parse.GetValue(user);
            var why = parse.GetValue(reason) ?? Environment.GetEnvironmentVariable("REASON");
            if (string.IsNullOrWhiteSpace(who) || string.IsNullOrWhiteSpace(why))
            {
                await error.WriteLineAsync("Give --user and --reason (or set REASON).");
                return ExitCodes.Usage;
            }

            var values = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (field, option) in fields)
            {
                if (parse.GetValue(option) is { } value)
                {
                    values[field.Name] = value;
                }
            }

            var connection = await CommandLine.ConnectionAsync(parse, caller, parse.GetValue(autoApprove), error);
            if (connection is null)
            {
                return ExitCodes.Usage;
            }

            return await ApprovalClient.RunAsync(
                new ApprovalClient.Options(who, why, connection.Api, connection.Key, parse.GetValue(deadline), connection.AutoApprove, connection.DataDirectory, connection.As, connection.Token,
                    Action: new ApprovalClient.ActionAsk(action, values)),
                output, error, cancellationToken);
        });
        return command;
    }
}
