using System.Reflection;
using System.Text.Json;
using Approvals.Core;
using Approvals.Core.Workflow;

namespace Approvals.Functions.Tests;

/// <summary>The Functions host cannot run here, so the bindings are checked from what the build generates.</summary>
public sealed class FunctionsMetadataTests
{
    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Approvals.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Approvals.sln not found above the test directory.");
    }

    static JsonElement[] Functions()
    {
        var configuration = typeof(FunctionsMetadataTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var path = Path.Combine(RepoRoot(), "src", "Functions", "bin", configuration, "net10.0", "functions.metadata");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.EnumerateArray().ToArray();
    }

    static JsonElement Trigger(string name) =>
        Functions().Single(f => f.GetProperty("name").GetString() == name).GetProperty("bindings").EnumerateArray()
            .Single(b => b.GetProperty("direction").GetString() == "In" && b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));

    [Theory]
    [InlineData("StartPasswordReset", "post", "password-resets", "Anonymous")]
    [InlineData("GetApproval", "get", "approvals/{id}", "Anonymous")]
    [InlineData("CancelApproval", "post", "approvals/{id}/cancel", "Anonymous")]
    [InlineData("GetApprovalHistory", "get", "approvals/{id}/history", "Anonymous")]
    [InlineData("RevealCredential", "post", "approvals/{id}/credential", "Anonymous")]
    [InlineData("IndentWebhook", "post", "webhooks/indent", "Anonymous")]
    public void HttpFunctions_HaveContractRoutesMethodsAndAuth(string name, string method, string route, string authLevel)
    {
        var trigger = Trigger(name);

        Assert.Equal("httpTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(authLevel, trigger.GetProperty("authLevel").GetString());
    }

    [Theory]
    [InlineData("StartPasswordReset")]
    [InlineData("GetApproval")]
    [InlineData("CancelApproval")]
    [InlineData("GetApprovalHistory")]
    [InlineData("RevealCredential")]
    [InlineData("IndentWebhook")]
    public void HttpFunctions_HaveADurableClient(string name)
    {
        var bindings = Functions().Single(f => f.GetProperty("name").GetString() == name).GetProperty("bindings").EnumerateArray();

        Assert.Contains(bindings, b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void Workflow_OrchestratorAndActivities_BoundUnderTheNamesTheOrchestratorCalls()
    {
        Assert.Equal("orchestrationTrigger", Trigger(nameof(ApprovalOrchestrator)).GetProperty("type").GetString());
        foreach (var activity in new[] { nameof(CreatePetitionActivity), nameof(GetPetitionActivity), nameof(ClosePetitionActivity), nameof(ResetPasswordActivity), nameof(VerifyAndResetActivity) })
        {
            Assert.Equal("activityTrigger", Trigger(activity).GetProperty("type").GetString());
        }
    }

    [Fact]
    public void Reconciler_IsATimerTrigger_OnTheScheduleSetting_WithADurableClient()
    {
        var trigger = Trigger(Workflow.ReconcileFunction.Name);
        var bindings = Functions().Single(f => f.GetProperty("name").GetString() == Workflow.ReconcileFunction.Name).GetProperty("bindings").EnumerateArray();

        Assert.Equal("timerTrigger", trigger.GetProperty("type").GetString());
        Assert.Equal("%" + ReconcileOptions.ScheduleSetting + "%", trigger.GetProperty("schedule").GetString());
        Assert.Contains(bindings, b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void Workflow_EveryTaskInCoresOneList_HasAFunctionOfItsName_AndNoOther()
    {
        var bound = Functions()
            .Where(f => f.GetProperty("bindings").EnumerateArray().Any(b => b.GetProperty("type").GetString() is "activityTrigger" or "orchestrationTrigger"))
            .Select(f => f.GetProperty("name").GetString())
            .Order(StringComparer.Ordinal);

        Assert.Equal(ApprovalsTasks.Orchestrators.Concat(ApprovalsTasks.Activities).Select(t => t.Name).Order(StringComparer.Ordinal), bound);
    }

    [Fact]
    public void HttpFunctions_RoutesAreTheRouteTables()
    {
        string[] table =
        [
            Core.Http.ApprovalsApiRoutes.PasswordResets, Core.Http.ApprovalsApiRoutes.Resources, Core.Http.ApprovalsApiRoutes.AccessRequests, Core.Http.ApprovalsApiRoutes.Approval, Core.Http.ApprovalsApiRoutes.Cancel,
            Core.Http.ApprovalsApiRoutes.History, Core.Http.ApprovalsApiRoutes.Credential, Core.Http.ApprovalsApiRoutes.IndentWebhook, Core.Http.ApprovalsApiRoutes.Health, Core.Http.ApprovalsApiRoutes.Actions,
        ];
        var routes = Functions().SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .Where(b => b.GetProperty("type").GetString() == "httpTrigger")
            .Select(b => b.GetProperty("route").GetString())
            .Order(StringComparer.Ordinal);

        Assert.Equal(table.Order(StringComparer.Ordinal), routes);
    }

    [Fact]
    public void HostJson_TaskHubFromSetting_QueuePollingTunedForPromptApprovals_TablePartitions_OpenTelemetryHost()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "host.json")), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var durable = host.RootElement.GetProperty("extensions").GetProperty("durableTask");

        Assert.Equal("%TASKHUB_NAME%", durable.GetProperty("hubName").GetString());
        Assert.Equal("AzureStorage", durable.GetProperty("storageProvider").GetProperty("type").GetString());
        Assert.True(TimeSpan.Parse(durable.GetProperty("storageProvider").GetProperty("maxQueuePollingInterval").GetString()!, System.Globalization.CultureInfo.InvariantCulture) <= TimeSpan.FromSeconds(2));
        // As the local host's engine does: partitions leased through a table, so a restarted worker takes its own back at once.
        Assert.True(durable.GetProperty("storageProvider").GetProperty("useTablePartitionManagement").GetBoolean());
        // The worker exports through OpenTelemetry; the host does too only when host.json says so (docs/DEPLOY.md).
        Assert.Equal("OpenTelemetry", host.RootElement.GetProperty("telemetryMode").GetString(), ignoreCase: true);
    }

    [Fact]
    public void LocalSettingsSample_ListsEverySettingTheCodeReads()
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "local.settings.sample.json")));
        var listed = sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => p.Name).ToHashSet();

        foreach (var setting in AppSettings.All)
        {
            Assert.Contains(setting, listed);
        }
    }
}
