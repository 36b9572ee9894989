using System.Diagnostics;
using System.Globalization;
using Approvals.EndToEnd.Tests.Support;

namespace Approvals.EndToEnd.Tests;

/// <summary>The CLI as users get it: <c>dotnet pack</c> of src/Local into a temporary feed, <c>dotnet tool install</c> from
/// that feed into a temporary tool path, then the installed <c>approvals</c> command. The pack builds into a temporary
/// artifacts folder (not src/Local's bin and obj, which the other tests run from), and the install reads only the
/// temporary feed, so neither touches the tree under test nor any remote feed. Every process is bounded and killed with
/// its children when it overruns.</summary>
[Collection(nameof(SerialProcessTests))] // packs and installs the tool: both cores for a while, so alone
public sealed class ToolPackageTests
{
    static readonly TimeSpan PackBound = TimeSpan.FromMinutes(6);
    static readonly TimeSpan InstallBound = TimeSpan.FromMinutes(2);
    static readonly TimeSpan RunBound = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Pack_InstallAsATool_ApprovalsHelpListsTheCommands_AndARemoteApiAsksForTheScope()
    {
        var work = Path.Combine(Path.GetTempPath(), "approvals-tool", Guid.NewGuid().ToString("N"));
        var feed = Path.Combine(work, "feed");
        var tools = Path.Combine(work, "tools");
        // A version of this run's own, so nothing cached from another run can stand in for this build.
        var version = "0.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        try
        {
            var pack = await DotnetAsync(PackBound, "pack", Path.Combine(Repo.Root, "src", "Local", "Local.csproj"), "-c", "Release", "-o", feed,
                "--artifacts-path", Path.Combine(work, "artifacts"), "-p:Version=" + version, "-nologo");
            Assert.True(pack.ExitCode == 0, $"dotnet pack exited {pack.ExitCode}:\n{pack.Output}\n{pack.Error}");
            Assert.True(File.Exists(Path.Combine(feed, $"Approvals.Cli.{version}.nupkg")), string.Join(", ", Directory.GetFiles(feed)));

            var config = Path.Combine(work, "nuget.config");
            await File.WriteAllTextAsync(config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="approvals-tool-test" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            var install = await DotnetAsync(InstallBound, "tool", "install", "--tool-path", tools, "--configfile", config, "--add-source", feed, "Approvals.Cli", "--version", version);
            Assert.True(install.ExitCode == 0, $"dotnet tool install exited {install.ExitCode}:\n{install.Output}\n{install.Error}");

            var approvals = Path.Combine(tools, OperatingSystem.IsWindows() ? "approvals.exe" : "approvals");
            var help = await RunAsync(approvals, "--help");
            Assert.True(help.ExitCode == 0, $"approvals --help exited {help.ExitCode}:\n{help.Output}\n{help.Error}");
            Assert.Contains("approvals [command] [options]", help.Output, StringComparison.Ordinal);
            var commands = new[] { "serve", "reset-password", "access", "token", "users", "versions" }.Concat(Core.Actions.ActionCatalog.All.Select(a => a.Verb));
            Assert.All(commands, command => Assert.Matches($@"(?m)^\s+{command}\s", help.Output));

            var resetHelp = await RunAsync(approvals, "reset-password", "--help");
            Assert.Contains("--scope", resetHelp.Output, StringComparison.Ordinal);

            // Against a deployed API with no token and no scope it says where the scope comes from, before any sign-in.
            var unscoped = await RunAsync(approvals, "reset-password", "--user", "123", "--reason", "x", "--api", "https://func-approvals.example.invalid");
            Assert.Equal(1, unscoped.ExitCode);
            Assert.Contains("APPROVALS_API_SCOPE", unscoped.Error, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    static Task<(int ExitCode, string Output, string Error)> DotnetAsync(TimeSpan bound, params string[] args) => RunAsync(bound, "dotnet", args);

    static Task<(int ExitCode, string Output, string Error)> RunAsync(string command, params string[] args) => RunAsync(RunBound, command, args);

    static Task<(int ExitCode, string Output, string Error)> RunAsync(TimeSpan bound, string command, params string[] args)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        // The tool's shim finds the runtime through DOTNET_ROOT when dotnet is not where it looks by default.
        info.Environment["DOTNET_ROOT"] = DotnetRoot();
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var name in new[] { "APPROVALS_TOKEN", "APPROVALS_API_SCOPE", "APPROVALS_API_CLIENT_ID" })
        {
            info.Environment.Remove(name);
        }

        return Cli.RunToEndAsync(info, bound, string.Join(' ', [Path.GetFileName(command), .. args.Take(2)]));
    }

    /// <summary>The folder of the dotnet that runs these tests (its shared runtime is three levels up from this runtime's).</summary>
    static string DotnetRoot() =>
        Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
}
