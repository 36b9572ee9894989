using System.CommandLine;
using System.Globalization;
using Approvals.Core.Workflow;
using Approvals.Local.Engine;
using Azure;
using Azure.Data.Tables;

namespace Approvals.Local.Cli;

/// <summary><c>approvals-local versions</c>: the instances still waiting in a task hub on Azure Storage, by orchestration
/// version — what says whether an old version's branch can go (README, "Upgrading"). It reads the task hub's Instances
/// table directly, the same query docs/DEPLOY.md gives to <c>az storage entity query</c> for a deployed app, so it works
/// with the host stopped (as during a deploy).</summary>
public static class VersionsCommand
{
    /// <summary>The OData filter for instances that are not finished: what a deploy replays.</summary>
    public const string WaitingFilter = "RuntimeStatus eq 'Pending' or RuntimeStatus eq 'Running' or RuntimeStatus eq 'Suspended' or RuntimeStatus eq 'ContinuedAsNew'";

    /// <summary>The columns read (DurableTask.AzureStorage's Instances table: the instance id is the partition key).</summary>
    public static readonly string[] Columns = ["PartitionKey", "Name", "Version", "RuntimeStatus", "CreatedTime"];

    /// <summary>The task hub's table of instances.</summary>
    public static string InstancesTable(string taskHub) => taskHub + "Instances";

    /// <summary>One instance that has not finished.</summary>
    public sealed record Waiting(string InstanceId, string Orchestrator, string Version, string Status, DateTimeOffset? Created);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var instances = new Option<bool>("--instances") { Description = "List each waiting instance, not only the counts." };
        var command = new Command("versions", $"List the approvals still waiting in the task hub ({EngineOptions.StorageSetting}, {EngineOptions.TaskHubSetting}) by orchestration version: an old version's code may be removed once none of it is left.") { instances };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var storage = Environment.GetEnvironmentVariable(EngineOptions.StorageSetting);
            var hub = Environment.GetEnvironmentVariable(EngineOptions.TaskHubSetting) is { Length: > 0 } named ? named : new EngineOptions().TaskHub;
            if (string.IsNullOrWhiteSpace(storage))
            {
                await error.WriteLineAsync($"Set {EngineOptions.StorageSetting} to the task hub's storage (UseDevelopmentStorage=true for Azurite); the in-memory engine keeps nothing a deploy could replay. For a deployed app, see docs/DEPLOY.md, \"Upgrading\".");
                return ExitCodes.Usage;
            }

            if (!EngineOptions.IsValidTaskHub(hub))
            {
                await error.WriteLineAsync($"{EngineOptions.TaskHubSetting} must be 3 to 45 letters and digits, starting with a letter.");
                return ExitCodes.Usage;
            }

            List<Waiting> waiting;
            try
            {
                waiting = await ReadAsync(new TableClient(storage, InstancesTable(hub)), cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                await error.WriteLineAsync($"No task hub '{hub}' in that storage account (no table {InstancesTable(hub)}).");
                return ExitCodes.Usage;
            }
            catch (Exception e) when (e is RequestFailedException or FormatException or ArgumentException or InvalidOperationException)
            {
                await error.WriteLineAsync($"Could not read the task hub '{hub}': {e.GetType().Name}.");
                return ExitCodes.Unreachable;
            }

            await WriteAsync(output, hub, waiting, parse.GetValue(instances));
            return ExitCodes.Done;
        });
        return command;
    }

    /// <summary>Every instance of <paramref name="table"/> that has not finished.</summary>
    public static async Task<List<Waiting>> ReadAsync(TableClient table, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(table);
        var waiting = new List<Waiting>();
        await foreach (var row in table.QueryAsync<TableEntity>(WaitingFilter, select: Columns, cancellationToken: cancellationToken))
        {
            waiting.Add(new Waiting(
                row.PartitionKey,
                row.GetString("Name") ?? "(unknown)",
                row.GetString("Version") ?? WorkflowVersions.Unversioned,
                row.GetString("RuntimeStatus") ?? "(unknown)",
                row.GetDateTimeOffset("CreatedTime")));
        }

        return waiting;
    }

    static async Task WriteAsync(TextWriter output, string hub, List<Waiting> waiting, bool each)
    {
        var current = WorkflowVersions.Current;
        await output.WriteLineAsync($"Task hub '{hub}': {waiting.Count} instance(s) not finished; this build starts version {current} and runs {string.Join(", ", WorkflowVersions.Supported.Select(WorkflowVersions.Describe))}.");
        if (waiting.Count == 0)
        {
            return;
        }

        await output.WriteLineAsync($"{"version",-12} {"orchestrator",-30} {"waiting",7}  oldest started (UTC)");
        foreach (var group in waiting.GroupBy(w => (w.Version, w.Orchestrator)).OrderBy(g => g.Key.Version, StringComparer.Ordinal).ThenBy(g => g.Key.Orchestrator, StringComparer.Ordinal))
        {
            var oldest = group.Min(w => w.Created);
            var supported = WorkflowVersions.IsSupported(group.Key.Version) ? "" : "  (not run by this build)";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{WorkflowVersions.Describe(group.Key.Version),-12} {group.Key.Orchestrator,-30} {group.Count(),7}  {oldest:yyyy-MM-dd HH:mm:ss}{supported}"));
        }

        if (each)
        {
            await output.WriteLineAsync();
            foreach (var w in waiting.OrderBy(w => w.Created))
            {
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{WorkflowVersions.Describe(w.Version),-12} {w.Orchestrator,-30} {w.Status,-15} {w.Created:yyyy-MM-dd HH:mm:ss}  {w.InstanceId}"));
            }
        }
    }
}
