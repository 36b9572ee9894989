using System.Diagnostics;
using System.Text.Json;
using Approvals.Core;

namespace Approvals.Functions.Tests;

/// <summary>Every template builds and lints with zero diagnostics (warnings are failures), the template and the code
/// agree on app settings, and nothing secret is in a template or an output.</summary>
public sealed class BicepTemplateTests
{
    static string Root => FunctionsMetadataTestsRoot.Value;

    static string BicepCli()
    {
        var fromEnv = Environment.GetEnvironmentVariable("BICEP_PATH");
        if (!string.IsNullOrEmpty(fromEnv))
        {
            return fromEnv;
        }

        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } p ? p : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(packages, "azure.bicep.commandline.linux-x64", "0.49.2", "tools", "bicep");
        return File.Exists(path) ? path : throw new InvalidOperationException($"Bicep CLI not found at {path}: ./test.sh restores it from the NuGet package Azure.Bicep.CommandLine.linux-x64 (infra/tools).");
    }

    static (int Exit, string Output, string Error) Bicep(params string[] args)
    {
        var info = new ProcessStartInfo(BicepCli()) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["BICEP_TRACING_ENABLED"] = "false";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }

    public static TheoryData<string> Templates()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(FunctionsMetadataTestsRoot.Value, "infra", "bicep"), "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(FunctionsMetadataTestsRoot.Value, file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Templates))]
    public void Template_BuildsAndLints_WithZeroDiagnostics(string template)
    {
        var path = Path.Combine(Root, template);
        var lint = Bicep("lint", path);
        var build = Bicep("build", path, "--stdout");

        Assert.True(lint.Exit == 0 && lint.Output.Trim().Length == 0 && lint.Error.Trim().Length == 0, $"bicep lint {template}:\n{lint.Output}{lint.Error}");
        Assert.True(build.Exit == 0 && build.Error.Trim().Length == 0, $"bicep build {template}:\n{build.Error}");
    }

    static JsonElement Compiled()
    {
        var build = Bicep("build", Path.Combine(Root, "infra", "bicep", "main.bicep"), "--stdout");
        Assert.Equal(0, build.Exit);
        return JsonDocument.Parse(build.Output).RootElement.Clone();
    }

    /// <summary>Resources whether the compiled template lists them (an array) or names them (symbolic, an object).</summary>
    static List<JsonElement> Resources(JsonElement template)
    {
        var resources = template.GetProperty("resources");
        return resources.ValueKind == JsonValueKind.Array ? resources.EnumerateArray().ToList() : resources.EnumerateObject().Select(r => r.Value).ToList();
    }

    static JsonElement Module(JsonElement main, string name) =>
        Resources(main)
            .Single(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments" && r.GetProperty("name").GetString() == name);

    static HashSet<string> TemplateSettings(JsonElement main)
    {
        var function = Module(main, "function");
        var app = function.GetProperty("properties").GetProperty("parameters").GetProperty("applicationSettings").GetProperty("value").EnumerateObject().Select(p => p.Name);
        var platform = function.GetProperty("properties").GetProperty("template").GetProperty("variables").GetProperty("platformSettings").EnumerateObject().Select(p => p.Name);
        return [.. app, .. platform];
    }

    [Fact]
    public void Settings_EveryOneTheAppReadsIsSet_AndEveryOneSetIsRead()
    {
        var set = TemplateSettings(Compiled());

        foreach (var setting in AppSettings.All.Except(AppSettings.KeyVaultBacked))
        {
            var satisfied = setting == AppSettings.Storage ? set.Any(s => s.StartsWith(AppSettings.Storage + "__", StringComparison.Ordinal)) : set.Contains(setting);
            Assert.True(satisfied, $"the app reads {setting} but the template does not set it");
        }

        foreach (var setting in set)
        {
            Assert.True(AppSettings.All.Contains(setting) || AppSettings.Platform.ContainsKey(setting), $"the template sets {setting} but nothing reads it");
        }

        Assert.DoesNotContain("FUNCTIONS_WORKER_RUNTIME", set);
        foreach (var secret in AppSettings.KeyVaultBacked)
        {
            Assert.DoesNotContain(secret, set);
        }
    }

    [Fact]
    public void Templates_NoSecretValueKeyOrConnectionString_IdentityOnly()
    {
        var main = Compiled();
        var text = main.GetRawText();

        foreach (var forbidden in new[] { "listKeys", "listAccountSas", "AccountKey=", "SharedAccessSignature", "securestring", "secureObject", "Microsoft.KeyVault/vaults/secrets\"" })
        {
            Assert.DoesNotContain(forbidden, text, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var output in main.GetProperty("outputs").EnumerateObject())
        {
            Assert.Equal("string", output.Value.GetProperty("type").GetString());
        }

        var storage = Module(main, "storage").GetProperty("properties").GetProperty("template").GetRawText();
        Assert.Contains("\"allowSharedKeyAccess\": false", storage, StringComparison.Ordinal);
        var vault = Module(main, "keyvault").GetProperty("properties").GetProperty("template").GetRawText();
        Assert.Contains("\"enableRbacAuthorization\": true", vault, StringComparison.Ordinal);
        Assert.Contains("\"enablePurgeProtection\": true", vault, StringComparison.Ordinal);
        var rbac = Module(main, "rbac").GetProperty("properties").GetProperty("template");
        var assignments = Resources(rbac).Where(r => r.GetProperty("type").GetString() == "Microsoft.Authorization/roleAssignments").ToList();
        Assert.All(assignments, a => Assert.StartsWith("[guid(", a.GetProperty("name").GetString(), StringComparison.Ordinal));
        // Only the narrow data-plane roles; never Owner, Contributor, User Access Administrator or Key Vault Administrator.
        string[] allowed =
        [
            "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", "974c5e8b-45b9-4653-ba55-5f855dd0fb88", "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3",
            "4633458b-17de-408a-b874-0445c86b69e6", "b86a8fe4-44ce-4948-aee5-eccb2c155cd7", "3913510d-42f4-4e42-8a64-420c390055eb",
        ];
        var roleIds = rbac.GetProperty("variables").EnumerateObject().Select(v => v.Value.GetString()).Where(v => Guid.TryParse(v, out _)).ToList();
        Assert.Equal(allowed.Order(), roleIds.Order());
        var custom = Resources(rbac).Single(r => r.GetProperty("type").GetString() == "Microsoft.Authorization/roleDefinitions");
        var dataActions = custom.GetProperty("properties").GetProperty("permissions")[0].GetProperty("dataActions").EnumerateArray().Select(a => a.GetString()).ToList();
        Assert.Equal(["Microsoft.KeyVault/vaults/secrets/setSecret/action", "Microsoft.KeyVault/vaults/secrets/update/action", "Microsoft.KeyVault/vaults/secrets/delete"], dataActions);
        // Two vaults; on the one holding the Indent secrets the app's identity may only read (Key Vault Secrets User):
        // the writer role sits on the credentials vault alone, so the app cannot replace the webhook secret.
        Assert.Equal(2, Resources(main).Count(r => r.GetProperty("type").GetString() == "Microsoft.Resources/deployments"
            && r.GetProperty("properties").GetProperty("template").GetProperty("resources").ToString().Contains("Microsoft.KeyVault/vaults", StringComparison.Ordinal)
            && !r.GetProperty("properties").GetProperty("template").GetProperty("resources").ToString().Contains("roleAssignments", StringComparison.Ordinal)));
        var appOnSecretsVault = assignments
            .Where(a => a.GetProperty("properties").GetProperty("principalId").GetString() == "[parameters('principalId')]")
            .Where(a => a.GetProperty("scope").GetString()!.Contains("parameters('keyVaultName')", StringComparison.Ordinal))
            .Select(a => a.GetProperty("properties").GetProperty("roleDefinitionId").GetString())
            .ToList();
        Assert.Equal(["[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', variables('keyVaultSecretsUser'))]"], appOnSecretsVault);
        var writer = assignments.Single(a => a.GetProperty("properties").GetProperty("roleDefinitionId").GetString()!.Contains("approvals-temporary-credential-writer", StringComparison.Ordinal));
        Assert.Contains("parameters('credentialsVaultName')", writer.GetProperty("scope").GetString(), StringComparison.Ordinal);
        // A role assignment takes the role's subscription-level id; the custom role's own resourceId() is the group's.
        Assert.StartsWith("[subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ", writer.GetProperty("properties").GetProperty("roleDefinitionId").GetString(), StringComparison.Ordinal);

        // Alert rules on the app's own telemetry: failed approvals, and a spike in refused webhook signatures.
        var monitoring = Module(main, "monitoring").GetProperty("properties").GetProperty("template");
        var queries = Resources(monitoring).Where(r => r.GetProperty("type").GetString() == "Microsoft.Insights/scheduledQueryRules")
            .Select(r => r.GetProperty("properties").GetProperty("criteria").GetProperty("allOf")[0].GetProperty("query").GetString()!).ToList();
        Assert.Contains(queries, q => q.Contains("approvals.finished", StringComparison.Ordinal) && q.Contains("\"failed\"", StringComparison.Ordinal));
        Assert.Contains(queries, q => q.Contains("approvals.webhooks.refused", StringComparison.Ordinal));

        // One always-ready instance for the "durable" group by default (Flex Consumption's per-function scale group).
        var function = Module(main, "function");
        var site = Resources(function.GetProperty("properties").GetProperty("template")).Single(r => r.GetProperty("type").GetString() == "Microsoft.Web/sites");
        var alwaysReady = site.GetProperty("properties").GetProperty("functionAppConfig").GetProperty("scaleAndConcurrency").GetProperty("alwaysReady");
        Assert.Equal("durable", alwaysReady[0].GetProperty("name").GetString());
        Assert.Equal(1, main.GetProperty("parameters").GetProperty("durableAlwaysReadyInstances").GetProperty("defaultValue").GetInt32());

        // Role definition names are tenant-wide: the name carries a subscription-and-group token, so a second
        // subscription in the same tenant with the same resource group name does not collide.
        var roleName = custom.GetProperty("properties").GetProperty("roleName").GetString()!;
        Assert.Contains("uniqueString(subscription().id", roleName, StringComparison.Ordinal);
        Assert.Contains("webhooks/indent", main.GetProperty("outputs").GetProperty("WEBHOOK_URL").GetProperty("value").GetString(), StringComparison.Ordinal);
    }
}

/// <summary>The repository root, found from the test's output directory.</summary>
internal static class FunctionsMetadataTestsRoot
{
    public static string Value { get; } = Find();

    static string Find()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Approvals.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Approvals.sln not found.");
    }
}
