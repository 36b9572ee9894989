using System.Text.Json;
using Approvals.Core.Workflow;

namespace Approvals.Functions.Tests;

/// <summary>host.json's orchestration versioning says what the local host's worker does (<see cref="WorkflowVersions"/>):
/// new instances get the current version, and a worker runs only its own version or older, leaving newer ones queued.</summary>
public sealed class VersioningSettingsTests
{
    static JsonElement DurableTask()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(FunctionsMetadataTests.RepoRoot(), "host.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        return host.RootElement.GetProperty("extensions").GetProperty("durableTask").Clone();
    }

    [Fact]
    public void DeployGuide_WaitingInstancesQuery_SameFilterAndColumnsAsTheTestedCommand()
    {
        var guide = File.ReadAllText(Path.Combine(FunctionsMetadataTests.RepoRoot(), "docs", "DEPLOY.md"));

        Assert.Contains($"--filter \"{Local.Cli.VersionsCommand.WaitingFilter}\"", guide, StringComparison.Ordinal);
        Assert.Contains("--select " + string.Join(' ', Local.Cli.VersionsCommand.Columns), guide, StringComparison.Ordinal);
        Assert.Contains("--table-name <TASKHUB_NAME>Instances", guide, StringComparison.Ordinal);
        Assert.Equal("approvalsInstances", Local.Cli.VersionsCommand.InstancesTable("approvals"));
    }

    [Fact]
    public void HostJson_Versioning_SameAsTheLocalWorker()
    {
        var durable = DurableTask();
        var worker = WorkflowVersions.WorkerOptions();

        Assert.Equal(WorkflowVersions.Current, durable.GetProperty("defaultVersion").GetString());
        Assert.Equal(worker.DefaultVersion, durable.GetProperty("defaultVersion").GetString());
        Assert.Equal(worker.MatchStrategy.ToString(), durable.GetProperty("versionMatchStrategy").GetString());
        Assert.Equal(worker.FailureStrategy.ToString(), durable.GetProperty("versionFailureStrategy").GetString());
    }
}
