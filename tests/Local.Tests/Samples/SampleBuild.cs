using System.Diagnostics;
using System.Text.Json;

namespace Approvals.Local.Tests.Samples;

/// <summary>Packs Approvals.Core into a temporary folder used as a NuGet source, copies the KeyRotation sample beside it
/// with a NuGet.config that takes <c>Approvals.*</c> from that folder only (package source mapping), and builds the
/// sample from it — the package, never a project reference. The pack is this test's own step of ./test.sh (after the
/// solution's build, so <c>--no-build</c>), under a version of its own so no cached package is reused.</summary>
public sealed class SampleBuild : IDisposable
{
    static readonly TimeSpan PackBound = TimeSpan.FromMinutes(3), BuildBound = TimeSpan.FromMinutes(8);

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "approvals-sample-" + Guid.NewGuid().ToString("N")[..12]);
    public string Version { get; } = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.{Random.Shared.Next(1000, 9999)}";
    public string Feed => Path.Combine(Root, "feed");
    public string Project => Path.Combine(Root, "KeyRotation");
    public string Output => Path.Combine(Project, "bin", "Release", "net10.0");
    public string Package => Path.Combine(Feed, $"Approvals.Core.{Version}.nupkg");

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Approvals.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Approvals.sln not found.");
    }

    public async Task BuildAsync()
    {
        var repo = RepositoryRoot();
        await RunAsync(PackBound, "pack", Path.Combine(repo, "src", "Core", "Core.csproj"), "-c", "Release", "--no-build", "-o", Feed, $"-p:PackageVersion={Version}");
        Copy(Path.Combine(repo, "samples", "KeyRotation"), Project);
        File.Copy(Path.Combine(repo, "samples", "Directory.Build.props"), Path.Combine(Root, "Directory.Build.props"));
        File.WriteAllText(Path.Combine(Project, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="approvals-test-feed" value="{Feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="approvals-test-feed"><package pattern="Approvals.*" /></packageSource>
                <packageSource key="nuget.org"><package pattern="*" /></packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        await RunAsync(BuildBound, "build", Path.Combine(Project, "KeyRotation.csproj"), "-c", "Release", $"-p:ApprovalsVersion={Version}", "--disable-build-servers", "-nodeReuse:false");
    }

    /// <summary>What restore resolved for the sample: each library's name/version and type (<c>package</c> or <c>project</c>).</summary>
    public IReadOnlyDictionary<string, string> Libraries()
    {
        using var assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(Project, "obj", "project.assets.json")));
        return assets.RootElement.GetProperty("libraries").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetProperty("type").GetString()!);
    }

    static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split(Path.DirectorySeparatorChar)[0] is "bin" or "obj")
            {
                continue;
            }

            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(to, relative))!);
            File.Copy(file, Path.Combine(to, relative));
        }
    }

    static async Task RunAsync(TimeSpan bound, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args.Append("-nologo"))
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(bound);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {args[0]} took longer than {bound}: {await output}{await errors}");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited {process.ExitCode}: {await output}{await errors}");
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
            // The version is this run's alone: leave no copy of it in the machine's package cache.
            var cached = Path.Combine(Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } packages ? packages : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages"), "approvals.core", Version.ToLowerInvariant());
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }
}
